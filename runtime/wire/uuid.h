/* wire/uuid.h: uuid4 text, as tractor's str(uuid4()): actor uuids and
 * dialog cids. Private to libactr. */
#ifndef ACTR_WIRE_UUID_H
#define ACTR_WIRE_UUID_H

/* Characters of a uuid4 text, without the NUL. */
#define ACTRI_UUID_LEN 36

/* Writes a fresh random uuid4 ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx")
 * and its NUL into out. Never fails (without an entropy source it falls
 * back to a clock-seeded generator, unique enough within one host). */
void actri_uuid4(char out[ACTRI_UUID_LEN + 1]);

#endif
