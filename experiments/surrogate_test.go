package experiments

import (
	"path/filepath"
	"testing"

	"github.com/mmatransfer/mma/models"
)

// TestLoadSurrogateFromStoredSpec saves a backbone whose spec no name
// describes, and an MMA of it, and checks that both load with the logits
// they had.
func TestLoadSurrogateFromStoredSpec(t *testing.T) {
	spec := models.MLP([]int{1, 6, 6}, 3, 5)
	spec.Name = "custom"
	x, _ := randomBatch(2, spec.Input)

	for _, arch := range []string{"custom", "custom/mma:k=2"} {
		model, _, err := buildOnSpec(arch, spec, 3)
		if err != nil {
			t.Fatal(err)
		}
		want, err := model.Logits(x)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "custom.ckpt")
		meta := models.CheckpointMeta{Architecture: arch, Spec: &spec, Seed: 3}
		if err := models.SaveCheckpoint(path, meta, models.State(model.Net())); err != nil {
			t.Fatal(err)
		}

		surrogate, err := LoadSurrogate(path)
		if err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		got, err := surrogate.Model.Logits(x)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range want.Data().([]float32) {
			if got.Data().([]float32)[i] != v {
				t.Fatalf("%s: logit %d = %v after loading, %v before", arch, i,
					got.Data().([]float32)[i], v)
			}
		}
		if surrogate.Arch != arch {
			t.Errorf("loaded architecture = %q, want %q", surrogate.Arch, arch)
		}
	}
}
