/* wire/msg_trusted.h: encoding a message whose raw payload our own codec
 * produced. Internal to the runtime (ipc, actor), not exported. */
#ifndef ACTR_WIRE_MSG_TRUSTED_H
#define ACTR_WIRE_MSG_TRUSTED_H

#include <actr/wire.h>

/* actr_msg_encode for a message whose `any` fields (a Started/Yield/
 * Return payload) were written by actr_codec_encode*, which already
 * checked every raw value inside them: they are copied without being
 * scanned again. Raw values from anywhere else must go through
 * actr_msg_encode. Same results as actr_msg_encode. */
int actri_msg_encode_trusted(const actr_msg *m, actr_wbuf *out);

#endif
