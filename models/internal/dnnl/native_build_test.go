//go:build !dnnl

package dnnl

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
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

	statSources(t, "../../..")
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

// statSources looks at every file below dir, the module root, except in
// .git. go test caches a test's result until a file the test looked at
// changes, and the packages tested here are not this package's
// dependencies, so without this a change to them would not rerun the test.
func statSources(t *testing.T, dir string) {
	err := filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if entry.IsDir() {
			if entry.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		_, err = os.Stat(path)
		return err
	})
	if err != nil {
		t.Fatalf("list the sources under %s: %v", dir, err)
	}
}
