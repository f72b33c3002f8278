//go:build amd64 && !purego

#include "textflag.h"

// Element-wise AVX2 kernels. Every count n is a positive multiple of 8;
// the Go callers handle the rest of a slice.

// func affineAVX2(x, y *float32, n int, scale, shift float32, relu bool)
// y = x*scale + shift, and with relu, y = 0 where !(y > 0 or y is NaN).
TEXT ·affineAVX2(SB), NOSPLIT, $0-33
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS scale+24(FP), Y1
	VBROADCASTSS shift+28(FP), Y2
	VXORPS Y3, Y3, Y3
	MOVBLZX relu+32(FP), AX
	TESTQ AX, AX
	JNZ relu

plain:
	VMOVUPS (SI), Y0
	VFMADD213PS Y2, Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ plain
	VZEROUPPER
	RET

relu:
	VMOVUPS (SI), Y0
	VFMADD213PS Y2, Y1, Y0
	// Predicate 6 is "not less than or equal, unordered": true for
	// positive values and NaN.
	VCMPPS $6, Y3, Y0, Y4
	VANDPS Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ relu
	VZEROUPPER
	RET

// func addReLUAVX2(a, b, y *float32, n int)
// y = a + b, then 0 where !(y > 0 or y is NaN).
TEXT ·addReLUAVX2(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), BX
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	VXORPS Y3, Y3, Y3

loop:
	VMOVUPS (SI), Y0
	VADDPS (BX), Y0, Y0
	VCMPPS $6, Y3, Y0, Y4
	VANDPS Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ loop
	VZEROUPPER
	RET

// func maskAVX2(keep, grad, out *float32, n int)
// out = grad where keep > 0 (ordered), 0 elsewhere.
TEXT ·maskAVX2(SB), NOSPLIT, $0-32
	MOVQ keep+0(FP), DX
	MOVQ grad+8(FP), SI
	MOVQ out+16(FP), DI
	MOVQ n+24(FP), CX
	VXORPS Y3, Y3, Y3

loop:
	VMOVUPS (DX), Y0
	// Predicate 30 is "greater than, ordered, quiet".
	VCMPPS $30, Y3, Y0, Y4
	VANDPS (SI), Y4, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DX
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ loop
	VZEROUPPER
	RET

// func sumProductsAVX2(keep, a, b *float32, n int) (sumA, sumAB float32)
// Sums g and g*b, where g = a, or with keep not nil, a where keep > 0
// (ordered) and 0 elsewhere.
TEXT ·sumProductsAVX2(SB), NOSPLIT, $0-40
	MOVQ keep+0(FP), DX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), BX
	MOVQ n+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y3, Y3, Y3
	TESTQ DX, DX
	JNZ masked

plain:
	VMOVUPS (SI), Y4
	VADDPS Y4, Y0, Y0
	VFMADD231PS (BX), Y4, Y1
	ADDQ $32, SI
	ADDQ $32, BX
	SUBQ $8, CX
	JNZ plain
	JMP reduce

masked:
	VMOVUPS (DX), Y5
	VCMPPS $30, Y3, Y5, Y5
	VANDPS (SI), Y5, Y4
	VADDPS Y4, Y0, Y0
	VFMADD231PS (BX), Y4, Y1
	ADDQ $32, DX
	ADDQ $32, SI
	ADDQ $32, BX
	SUBQ $8, CX
	JNZ masked

reduce:
	VEXTRACTF128 $1, Y0, X2
	VADDPS X2, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	MOVSS X0, sumA+32(FP)
	VEXTRACTF128 $1, Y1, X2
	VADDPS X2, X1, X1
	VHADDPS X1, X1, X1
	VHADDPS X1, X1, X1
	MOVSS X1, sumAB+36(FP)
	VZEROUPPER
	RET

// func axpbyAVX2(keep, x, y, out *float32, n int, a, b, c float32)
// out = a*g + b*y + c, where g = x, or with keep not nil, x where keep > 0
// (ordered) and 0 elsewhere.
TEXT ·axpbyAVX2(SB), NOSPLIT, $0-52
	MOVQ keep+0(FP), DX
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), BX
	MOVQ out+24(FP), DI
	MOVQ n+32(FP), CX
	VBROADCASTSS a+40(FP), Y1
	VBROADCASTSS b+44(FP), Y2
	VBROADCASTSS c+48(FP), Y3
	VXORPS Y6, Y6, Y6
	TESTQ DX, DX
	JNZ masked

plain:
	VMOVUPS (SI), Y4
	VMOVAPS Y3, Y0
	VFMADD231PS Y4, Y1, Y0
	VFMADD231PS (BX), Y2, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ plain
	VZEROUPPER
	RET

masked:
	VMOVUPS (DX), Y5
	VCMPPS $30, Y6, Y5, Y5
	VANDPS (SI), Y5, Y4
	VMOVAPS Y3, Y0
	VFMADD231PS Y4, Y1, Y0
	VFMADD231PS (BX), Y2, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DX
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ masked
	VZEROUPPER
	RET
