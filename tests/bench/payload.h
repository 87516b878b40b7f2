/* Large payloads of the bulk benchmarks (bench_bulk.c, benchmod_impl.c,
 * baseline_bulk.c): a fixed byte pattern whose first 8 bytes carry a
 * sequence number, so that a receiver checks every payload it gets (its
 * length, its number and a sum of all of its bytes) at the same cost,
 * whatever carried it. Internal to tests/bench/. */
#ifndef ACTR_BENCH_PAYLOAD_H
#define ACTR_BENCH_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

/* Fills p[0..n) (n >= 8) with the pattern and seq in its first 8 bytes. */
void bench_payload_fill(uint8_t *p, size_t n, uint64_t seq);

/* Sets the sequence number of a filled payload. */
void bench_payload_seq(uint8_t *p, uint64_t seq);

/* The sum (mod 2^64) of p's little-endian 64-bit words, a short tail
 * added byte by byte. */
uint64_t bench_payload_sum(const uint8_t *p, size_t n);

/* The sum of an n-byte payload with sequence number 0: a payload with
 * number seq sums to this + seq. */
uint64_t bench_payload_base(size_t n);

/* 0 when p[0..len) is the n-byte payload number seq (base: its
 * bench_payload_base), else ACTR_EPROTO. */
int bench_payload_check(const uint8_t *p, size_t len, size_t n, uint64_t seq, uint64_t base);

#endif
