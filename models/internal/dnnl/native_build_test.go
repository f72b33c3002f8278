//go:build !dnnl

package dnnl

import (
	"os"
	"os/exec"
	"testing"
)

// dnnlHeader is where Debian's libdnnl-dev puts oneDNN's C header.
const dnnlHeader = "/usr/include/oneapi/dnnl/dnnl.h"

// TestNativeBuild runs the tests of the kernels, the ops and the models in
// the native build, so that the default test command checks both builds
// wherever oneDNN is installed.
func TestNativeBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: builds and tests the native build")
	}
	if _, err := os.Stat(dnnlHeader); err != nil {
		t.Skipf("native build not tested: %s not found (apt-get install libdnnl-dev)",
			dnnlHeader)
	}

	packages := []string{"./models/internal/...", "./models"}
	cmd := exec.Command("go", append([]string{"test", "-tags", "dnnl", "-count=1"},
		packages...)...)
	cmd.Dir = "../../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test -tags dnnl %v: %v\n%s", packages, err, out)
	}
	t.Logf("go test -tags dnnl:\n%s", out)
}
