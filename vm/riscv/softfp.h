/*
 * softfp.h - IEEE 754-2008 binary32/binary64 arithmetic in software, with the
 * exact semantics the RISC-V F and D extensions require (RISC-V Unprivileged
 * ISA, chapters "F" and "D", ratified 20191213):
 *
 *  - five rounding modes (rv_rm below); RMM is round-to-nearest, ties away
 *    from zero, which x86 hardware lacks, so every operation is done in
 *    integer arithmetic here and is bit-identical on every host;
 *  - accrued exception flags (rv_fflag bits) are OR-ed into *flags; tininess
 *    is detected after rounding (spec section "Floating-Point Control and
 *    Status Register": RISC-V detects tininess after rounding);
 *  - every NaN result is the canonical NaN (0x7fc00000 / 0x7ff8000000000000):
 *    RISC-V does not propagate NaN payloads;
 *  - signalling NaN inputs raise NV.
 *
 * Values are passed as raw bit patterns (uint32_t for binary32, uint64_t for
 * binary64). NaN-boxing of binary32 values inside 64-bit f registers is the
 * caller's business (see exec.c), not this module's.
 *
 * Functions never read or change the host floating-point environment.
 */
#ifndef REPRISE_VM_RISCV_SOFTFP_H
#define REPRISE_VM_RISCV_SOFTFP_H

#include <stdint.h>

/* Rounding modes, numbered as the frm field / instruction rm field. 5 and 6
 * are reserved and 7 (DYN) is resolved by the caller; none reaches here. */
enum rv_rm { RV_RNE = 0, RV_RTZ = 1, RV_RDN = 2, RV_RUP = 3, RV_RMM = 4 };

/* fflags bits (spec table "Accrued exception flag encoding"). */
enum rv_fflag { RV_NX = 1, RV_UF = 2, RV_OF = 4, RV_DZ = 8, RV_NV = 16 };

#define RV_CANON_NAN32 0x7fc00000u
#define RV_CANON_NAN64 0x7ff8000000000000ull

/* Arithmetic: a op b rounded per rm. */
uint32_t sf_add32(uint32_t a, uint32_t b, int rm, unsigned *flags);
uint32_t sf_sub32(uint32_t a, uint32_t b, int rm, unsigned *flags);
uint32_t sf_mul32(uint32_t a, uint32_t b, int rm, unsigned *flags);
uint32_t sf_div32(uint32_t a, uint32_t b, int rm, unsigned *flags);
uint32_t sf_sqrt32(uint32_t a, int rm, unsigned *flags);
/* Fused a*b+c with a single rounding. The caller negates operands (sign-bit
 * flip) for fmsub/fnmsub/fnmadd. inf*0 raises NV even when c is a quiet NaN
 * (spec: "fused multiply-add ... of infinity and zero ... raise NV"). */
uint32_t sf_fma32(uint32_t a, uint32_t b, uint32_t c, int rm, unsigned *flags);

uint64_t sf_add64(uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t sf_sub64(uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t sf_mul64(uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t sf_div64(uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t sf_sqrt64(uint64_t a, int rm, unsigned *flags);
uint64_t sf_fma64(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *flags);

/* fmin/fmax: IEEE 754-2019 minimumNumber/maximumNumber as the ratified F
 * extension v2.2 specifies: -0 < +0; if one input is NaN the result is the
 * other; if both are NaN the result is the canonical NaN; NV only for sNaN. */
uint32_t sf_min32(uint32_t a, uint32_t b, unsigned *flags);
uint32_t sf_max32(uint32_t a, uint32_t b, unsigned *flags);
uint64_t sf_min64(uint64_t a, uint64_t b, unsigned *flags);
uint64_t sf_max64(uint64_t a, uint64_t b, unsigned *flags);

/* Comparisons return 0 or 1. feq is quiet (NV only for sNaN); flt and fle are
 * signalling (NV for any NaN). Any NaN input gives 0. */
int sf_eq32(uint32_t a, uint32_t b, unsigned *flags);
int sf_lt32(uint32_t a, uint32_t b, unsigned *flags);
int sf_le32(uint32_t a, uint32_t b, unsigned *flags);
int sf_eq64(uint64_t a, uint64_t b, unsigned *flags);
int sf_lt64(uint64_t a, uint64_t b, unsigned *flags);
int sf_le64(uint64_t a, uint64_t b, unsigned *flags);

/* fclass: the 10-bit mask of spec table "Format of result of FCLASS". */
unsigned sf_class32(uint32_t a);
unsigned sf_class64(uint64_t a);

/* Conversions between formats. */
uint64_t sf_f32_to_f64(uint32_t a, unsigned *flags);          /* exact, NV on sNaN */
uint32_t sf_f64_to_f32(uint64_t a, int rm, unsigned *flags);

/* Float to integer, rounded per rm, saturating per spec table "Domains of
 * float-to-integer conversions and behavior for invalid inputs": out of range
 * or NaN gives NV and the saturated value (NaN and +inf give the maximum);
 * inexact in-range results give NX. 32-bit results are returned
 * sign-extended to 64 bits as the W forms write them (fcvt.wu too). */
int64_t sf_f32_to_i32(uint32_t a, int rm, unsigned *flags);
int64_t sf_f32_to_u32(uint32_t a, int rm, unsigned *flags);
int64_t sf_f32_to_i64(uint32_t a, int rm, unsigned *flags);
uint64_t sf_f32_to_u64(uint32_t a, int rm, unsigned *flags);
int64_t sf_f64_to_i32(uint64_t a, int rm, unsigned *flags);
int64_t sf_f64_to_u32(uint64_t a, int rm, unsigned *flags);
int64_t sf_f64_to_i64(uint64_t a, int rm, unsigned *flags);
uint64_t sf_f64_to_u64(uint64_t a, int rm, unsigned *flags);

/* Integer to float, rounded per rm (NX when inexact). */
uint32_t sf_i32_to_f32(int32_t a, int rm, unsigned *flags);
uint32_t sf_u32_to_f32(uint32_t a, int rm, unsigned *flags);
uint32_t sf_i64_to_f32(int64_t a, int rm, unsigned *flags);
uint32_t sf_u64_to_f32(uint64_t a, int rm, unsigned *flags);
uint64_t sf_i32_to_f64(int32_t a, int rm, unsigned *flags);
uint64_t sf_u32_to_f64(uint32_t a, int rm, unsigned *flags);
uint64_t sf_i64_to_f64(int64_t a, int rm, unsigned *flags);
uint64_t sf_u64_to_f64(uint64_t a, int rm, unsigned *flags);

#endif
