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

/* The start of a trusted Yield or Return frame whose payload, pld_len
 * bytes our codec wrote, the caller appends (or writes) itself right
 * after: the length prefix counts them; the bytes are those
 * actri_msg_encode_trusted writes before the payload. Returns the bytes
 * appended to out, 0 when m is not a Yield/Return of the simple shape
 * (a cid under 256 bytes, a payload) and must be encoded whole, or
 * ACTR_EINVAL (a cid that is not UTF-8) / ACTR_ENOMEM. */
int actri_msg_encode_pld_head(const actr_msg *m, size_t pld_len, actr_wbuf *out);

#endif
