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

/* A raw field (an actr_any member of the message) that the caller puts
 * into the frame itself, for a payload our codec wrote whose big parts
 * are not copied (ipc/channel.c writes them from where they lie). */
struct actri_lend {
    const actr_any *field;       /* the member of m; its contents are ignored */
    /* Appends the field's bytes that go into out, at their place, and
     * adds to *lent those it writes elsewhere (between them); they count
     * in the frame's length. Returns 0 or a negative code. */
    int (*put)(void *arg, actr_wbuf *out, size_t *lent);
    void *arg;
};

/* actri_msg_encode_trusted, with ln->field written by ln->put: the frame's
 * bytes are those of the message with the field in one piece. Returns the
 * frame's length or a negative code (out as it was). */
int actri_msg_encode_lent(const actr_msg *m, const struct actri_lend *ln, actr_wbuf *out);

#endif
