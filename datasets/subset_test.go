package datasets

import "testing"

// numberedSet returns a set of n images of 1x1x2 pixels where image i has
// pixel values i and 2i and label i modulo 10.
func numberedSet(t *testing.T, n int) *ByteSet {
	t.Helper()
	pixels := make([]uint8, 2*n)
	labels := make([]uint8, n)
	for i := 0; i < n; i++ {
		pixels[2*i], pixels[2*i+1] = uint8(i), uint8(2*i)
		labels[i] = uint8(i % 10)
	}
	set, err := NewByteSet([]int{1, 1, 2}, 10, pixels, labels)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestSubsetOrderAndCopy(t *testing.T) {
	set := numberedSet(t, 20)
	indices := []int{13, 2, 13}
	sub := Subset(set, indices)
	indices[0] = 0 // the subset must keep its own copy

	if sub.Len() != 3 {
		t.Fatalf("length %d, want 3", sub.Len())
	}
	if sub.Classes() != 10 || len(sub.Shape()) != 3 {
		t.Errorf("classes %d and shape %v, want 10 and [1 1 2]", sub.Classes(), sub.Shape())
	}
	pixels := make([]float32, 2)
	for i, want := range []int{13, 2, 13} {
		label, err := sub.Example(i, pixels)
		if err != nil {
			t.Fatal(err)
		}
		if label != want%10 {
			t.Errorf("example %d has label %d, want %d", i, label, want%10)
		}
		if pixels[0] != float32(want)/255 {
			t.Errorf("example %d has pixel %v, want %v", i, pixels[0], float32(want)/255)
		}
	}
}

func TestSubsetIndexOutOfRange(t *testing.T) {
	sub := Subset(numberedSet(t, 5), []int{1, 5})
	pixels := make([]float32, 2)

	_, err := sub.Example(1, pixels)
	wantErrorParts(t, err, "example 1 of subset: index 5 out of range [0, 5)")
	_, err = sub.Example(2, pixels)
	wantErrorParts(t, err, "example 2 out of range [0, 2)")
}

func TestHead(t *testing.T) {
	set := numberedSet(t, 5)
	tests := []struct{ n, want int }{{3, 3}, {5, 5}, {9, 5}, {0, 0}, {-2, 0}}
	for _, test := range tests {
		if got := Head(set, test.n).Len(); got != test.want {
			t.Errorf("Head(set of 5, %d) has %d examples, want %d", test.n, got, test.want)
		}
	}

	head := Head(set, 3)
	pixels := make([]float32, 2)
	label, err := head.Example(2, pixels)
	if err != nil {
		t.Fatal(err)
	}
	if label != 2 || pixels[1] != float32(4)/255 {
		t.Errorf("example 2 has label %d and pixels %v, want 2 and [2/255 4/255]",
			label, pixels)
	}
	_, err = head.Example(3, pixels)
	wantErrorParts(t, err, "example 3 out of range [0, 3)")
}

func TestLoadBatch(t *testing.T) {
	set := numberedSet(t, 30)
	indices := []int{4, 27, 0}
	pixels := make([]float32, 6)
	labels := make([]int, 3)

	if err := LoadBatch(set, indices, pixels, labels); err != nil {
		t.Fatal(err)
	}
	for i, index := range indices {
		if labels[i] != index%10 {
			t.Errorf("label %d is %d, want %d", i, labels[i], index%10)
		}
		want := []float32{float32(index) / 255, float32(2*index) / 255}
		if pixels[2*i] != want[0] || pixels[2*i+1] != want[1] {
			t.Errorf("image %d is %v, want %v", i, pixels[2*i:2*i+2], want)
		}
	}
}

func TestLoadBatchErrors(t *testing.T) {
	set := numberedSet(t, 5)

	err := LoadBatch(set, []int{0, 1}, make([]float32, 3), make([]int, 2))
	wantErrorParts(t, err, "pixel buffer has 3 values, want 4")
	err = LoadBatch(set, []int{0, 1}, make([]float32, 4), make([]int, 1))
	wantErrorParts(t, err, "label buffer has 1 values, want 2")
	err = LoadBatch(set, []int{0, 7}, make([]float32, 4), make([]int, 2))
	wantErrorParts(t, err, "example 7 out of range [0, 5)")
}

func TestLoadBatchAllocations(t *testing.T) {
	set := numberedSet(t, 200)
	indices := make([]int, 128)
	for i := range indices {
		indices[i] = (7 * i) % 200
	}
	sub := Subset(set, indices)
	all := make([]int, len(indices))
	for i := range all {
		all[i] = i
	}
	pixels := make([]float32, 2*len(indices))
	labels := make([]int, len(indices))

	// Shape returns a new slice, so one allocation a batch is expected;
	// any per-example allocation would show up as 128 or more.
	allocs := testing.AllocsPerRun(10, func() {
		if err := LoadBatch(sub, all, pixels, labels); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("LoadBatch of 128 examples makes %v allocations, want at most 1", allocs)
	}
}

func BenchmarkLoadBatchMNISTSize(b *testing.B) {
	const batch = 128
	pixels8 := make([]uint8, 1000*28*28)
	set, err := NewByteSet([]int{1, 28, 28}, 10, pixels8, make([]uint8, 1000))
	if err != nil {
		b.Fatal(err)
	}
	indices := make([]int, batch)
	for i := range indices {
		indices[i] = (37 * i) % 1000
	}
	pixels := make([]float32, batch*28*28)
	labels := make([]int, batch)

	b.SetBytes(batch * 28 * 28 * 4)
	for b.Loop() {
		if err := LoadBatch(set, indices, pixels, labels); err != nil {
			b.Fatal(err)
		}
	}
}
