package datasets

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // registers the JPEG decoder for image.Decode
	_ "image/png"  // registers the PNG decoder for image.Decode
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// LabelsFileName is the name of an image folder's optional labels file.
// Each line holds a file name, relative to the folder, then white space
// and the label as a decimal integer ("n01440764_10026.JPEG 0"). The label
// is the last field, so file names may contain spaces. Blank lines and
// lines starting with '#' are skipped.
const LabelsFileName = "labels.txt"

// DefaultImageSide is the height and width of the images an image folder
// serves when ImageFolderConfig.Shape is nil: 224, the usual ImageNet
// model input.
const DefaultImageSide = 224

// imageExtensions are the file name extensions, in lower case, of the
// images an image folder reads.
var imageExtensions = []string{".png", ".jpg", ".jpeg"}

// ImageFolderConfig sets how an image folder turns files into model
// inputs. The zero value serves 3 x 224 x 224 images.
type ImageFolderConfig struct {
	// Shape is the C x H x W of the images Example writes, C being 1 or 3.
	// Grey files expand to 3 equal channels, colour files turn into 1 by
	// ITU-R BT.601 luminance. Nil means 3 x 224 x 224.
	Shape []int

	// Resize is the length in pixels of the shorter side after resizing and
	// before the centre crop to H x W (torchvision's ImageNet evaluation
	// uses 256 for a 224 crop). Zero means the smallest size that covers
	// the crop, which leaves images of exactly H x W unchanged.
	Resize int

	// Classes is the number of classes. Zero means the number of class
	// folders, or for numeric labels the largest label plus one.
	Classes int
}

// ImageFolder is a labelled set of PNG and JPEG files, decoded, resized and
// centre-cropped one at a time in Example, so that no more than one image
// is held decoded per call. Example may be called from several goroutines.
//
// The labels come from, in this order of precedence:
//   - a labels file (LabelsFileName) in the folder, which also fixes the
//     files and their order;
//   - the file names, for image files directly in the folder: the label is
//     the integer after the last underscore of the name (mnist_00_7.png
//     has label 7), and files are in name order;
//   - subfolders, one per class, as torchvision's ImageFolder has them:
//     class i is the i-th folder name in sorted order, and its images are
//     the image files directly inside it, in name order.
type ImageFolder struct {
	dir        string
	shape      [3]int
	resize     int
	classes    int
	paths      []string
	labels     []int
	classNames []string
}

// folderListing is an image folder's files and labels before the class
// count is settled.
type folderListing struct {
	dir        string
	paths      []string
	labels     []int    // numeric labels; nil for class folders
	folders    []string // class folder of each path, for class folders
	classNames []string // sorted class folder names
}

// NewImageFolder lists the images and labels of dir as the type's comment
// describes. It reads no image: a file that fails to decode makes Example
// fail for that index.
func NewImageFolder(dir string, cfg ImageFolderConfig) (*ImageFolder, error) {
	listing, err := listImageFolder(dir)
	if err != nil {
		return nil, err
	}
	folders, err := newImageFolders([]*folderListing{listing}, cfg)
	if err != nil {
		return nil, err
	}
	return folders[0], nil
}

// newImageFolders makes one set of each listing with a common class
// count, and for class folders a common sorted list of class names.
func newImageFolders(listings []*folderListing, cfg ImageFolderConfig) ([]*ImageFolder, error) {
	shape, err := imageFolderShape(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Resize < 0 {
		return nil, fmt.Errorf("image folder resize %d, want 0 or more pixels", cfg.Resize)
	}

	classNames, err := unionClassNames(listings)
	if err != nil {
		return nil, err
	}
	for _, listing := range listings {
		listing.assignFolderLabels(classNames)
	}

	classes := cfg.Classes
	if classes == 0 {
		classes = inferredClasses(listings, classNames)
	}
	sets := make([]*ImageFolder, len(listings))
	for i, listing := range listings {
		if err := listing.checkLabels(classes); err != nil {
			return nil, err
		}
		sets[i] = &ImageFolder{dir: listing.dir, shape: shape, resize: cfg.Resize,
			classes: classes, paths: listing.paths, labels: listing.labels,
			classNames: classNames}
	}
	return sets, nil
}

// imageFolderShape returns cfg.Shape, or the default, after checking it.
func imageFolderShape(cfg ImageFolderConfig) ([3]int, error) {
	if cfg.Shape == nil {
		return [3]int{3, DefaultImageSide, DefaultImageSide}, nil
	}

	s := cfg.Shape
	if len(s) != 3 || (s[0] != 1 && s[0] != 3) || s[1] <= 0 || s[2] <= 0 {
		return [3]int{}, fmt.Errorf("image folder shape %v, want C x H x W with C 1 or 3 "+
			"and positive H and W", s)
	}
	return [3]int{s[0], s[1], s[2]}, nil
}

// unionClassNames returns the sorted class folder names of all listings,
// nil when they use numeric labels, or an error when the two kinds mix.
func unionClassNames(listings []*folderListing) ([]string, error) {
	var names []string
	for _, listing := range listings {
		if (listing.labels == nil) != (listings[0].labels == nil) {
			return nil, fmt.Errorf("image folders %s and %s label differently: one by class "+
				"folders, one by file names or %s; want the same layout",
				listings[0].dir, listing.dir, LabelsFileName)
		}
		names = append(names, listing.classNames...)
	}
	if listings[0].labels != nil {
		return nil, nil
	}

	slices.Sort(names)
	return slices.Compact(names), nil
}

// assignFolderLabels sets the labels of a class folder listing to the
// indices of its folders in classNames.
func (l *folderListing) assignFolderLabels(classNames []string) {
	if l.labels != nil {
		return
	}
	l.labels = make([]int, len(l.folders))
	for i, folder := range l.folders {
		l.labels[i], _ = slices.BinarySearch(classNames, folder)
	}
}

// inferredClasses returns the number of class folders, or the largest
// numeric label plus one.
func inferredClasses(listings []*folderListing, classNames []string) int {
	if classNames != nil {
		return len(classNames)
	}
	classes := 0
	for _, listing := range listings {
		for _, label := range listing.labels {
			classes = max(classes, label+1)
		}
	}
	return classes
}

// checkLabels returns an error naming the first file whose label is not
// in 0..classes-1.
func (l *folderListing) checkLabels(classes int) error {
	for i, label := range l.labels {
		if label >= classes {
			return fmt.Errorf("image folder %s: label %d of %s is out of range 0..%d "+
				"(set the number of classes)", l.dir, label, l.paths[i], classes-1)
		}
	}
	return nil
}

// listImageFolder finds the images and labels of dir.
func listImageFolder(dir string) (*folderListing, error) {
	labelsPath := filepath.Join(dir, LabelsFileName)
	if _, err := os.Stat(labelsPath); err == nil {
		return readLabelsFile(dir, labelsPath)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("image folder: %w", err)
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("image folder: %w", err)
	}
	images, subfolders := splitEntries(dir, entries)
	if len(images) > 0 {
		return labelsFromNames(dir, images)
	}
	if len(subfolders) > 0 {
		return labelsFromFolders(dir, subfolders)
	}
	return nil, fmt.Errorf("image folder %s has no PNG or JPEG files, no class subfolders "+
		"and no %s", dir, LabelsFileName)
}

// splitEntries returns the names of the image files and of the folders
// among the entries of dir, sorted. Dot files and folders are skipped, and
// symbolic links count as what they point to.
func splitEntries(dir string, entries []fs.DirEntry) (images, folders []string) {
	for _, entry := range entries {
		name := entry.Name()
		switch {
		case strings.HasPrefix(name, "."):
		case isFolder(dir, entry):
			folders = append(folders, name)
		case isImageName(name):
			images = append(images, name)
		}
	}
	slices.Sort(images)
	slices.Sort(folders)
	return images, folders
}

// isFolder reports whether entry of dir is a folder or a symbolic link to
// one.
func isFolder(dir string, entry fs.DirEntry) bool {
	if entry.Type()&fs.ModeSymlink == 0 {
		return entry.IsDir()
	}
	info, err := os.Stat(filepath.Join(dir, entry.Name()))
	return err == nil && info.IsDir()
}

// isImageName reports whether name has a PNG or JPEG extension, in any case.
func isImageName(name string) bool {
	return slices.Contains(imageExtensions, strings.ToLower(filepath.Ext(name)))
}

// labelsFromNames labels the image files names of dir by the integer
// after the last underscore of each name.
func labelsFromNames(dir string, names []string) (*folderListing, error) {
	listing := &folderListing{dir: dir, labels: make([]int, len(names))}
	for i, name := range names {
		label, err := labelFromName(name)
		if err != nil {
			return nil, fmt.Errorf("image folder %s: %w", dir, err)
		}
		listing.paths = append(listing.paths, filepath.Join(dir, name))
		listing.labels[i] = label
	}
	return listing, nil
}

// labelFromName returns the label of a file named NAME_LABEL.ext.
func labelFromName(name string) (int, error) {
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	underscore := strings.LastIndexByte(stem, '_')
	label, err := strconv.Atoi(stem[underscore+1:])
	if underscore < 0 || err != nil || label < 0 {
		return 0, fmt.Errorf("file name %s has no label: want NAME_LABEL.ext with a "+
			"non-negative integer label after the last underscore, class subfolders, "+
			"or a %s", name, LabelsFileName)
	}
	return label, nil
}

// labelsFromFolders lists the image files directly inside each subfolder
// of dir. Every subfolder must hold at least one image.
func labelsFromFolders(dir string, subfolders []string) (*folderListing, error) {
	listing := &folderListing{dir: dir, classNames: subfolders}
	for _, folder := range subfolders {
		classDir := filepath.Join(dir, folder)
		entries, err := os.ReadDir(classDir)
		if err != nil {
			return nil, fmt.Errorf("image folder: %w", err)
		}
		images, _ := splitEntries(classDir, entries)
		if len(images) == 0 {
			return nil, fmt.Errorf("image folder %s: class folder %s has no PNG or JPEG files",
				dir, folder)
		}
		for _, name := range images {
			listing.paths = append(listing.paths, filepath.Join(dir, folder, name))
			listing.folders = append(listing.folders, folder)
		}
	}
	return listing, nil
}

// readLabelsFile reads a labels file of dir and checks that each file it
// names exists.
func readLabelsFile(dir, path string) (*folderListing, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("image folder: %w", err)
	}
	defer f.Close()

	listing := &folderListing{dir: dir, labels: []int{}}
	scanner := bufio.NewScanner(f)
	for line := 1; scanner.Scan(); line++ {
		text := strings.TrimSpace(scanner.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, label, err := parseLabelLine(text)
		if err != nil {
			return nil, fmt.Errorf("read %s line %d: %w", path, line, err)
		}
		imagePath := filepath.Join(dir, name)
		if _, err := os.Stat(imagePath); err != nil {
			return nil, fmt.Errorf("read %s line %d: %w", path, line, err)
		}
		listing.paths = append(listing.paths, imagePath)
		listing.labels = append(listing.labels, label)
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(listing.paths) == 0 {
		return nil, fmt.Errorf("read %s: no \"FILENAME LABEL\" lines", path)
	}
	return listing, nil
}

// parseLabelLine splits a labels file line into its file name and label.
func parseLabelLine(text string) (string, int, error) {
	split := strings.LastIndexAny(text, " \t")
	if split < 0 {
		return "", 0, fmt.Errorf("%q has no label, want \"FILENAME LABEL\"", text)
	}
	name := strings.TrimSpace(text[:split])
	label, err := strconv.Atoi(text[split+1:])
	if err != nil || label < 0 {
		return "", 0, fmt.Errorf("label %q of %s is not a non-negative integer",
			text[split+1:], name)
	}
	return name, label, nil
}

// Len returns the number of images.
func (f *ImageFolder) Len() int { return len(f.paths) }

// Shape returns the C x H x W of the images Example writes.
func (f *ImageFolder) Shape() []int { return []int{f.shape[0], f.shape[1], f.shape[2]} }

// Classes returns the number of classes.
func (f *ImageFolder) Classes() int { return f.classes }

// Dir returns the folder the set was listed from.
func (f *ImageFolder) Dir() string { return f.dir }

// Path returns the file of image i, which must be in [0, Len()).
func (f *ImageFolder) Path(i int) string { return f.paths[i] }

// Label returns the label of image i, which must be in [0, Len()).
func (f *ImageFolder) Label(i int) int { return f.labels[i] }

// ClassNames returns the class folder names in label order, or nil when
// the labels come from file names or a labels file.
func (f *ImageFolder) ClassNames() []string { return slices.Clone(f.classNames) }

// Example decodes image i, resizes it, centre-crops it to the set's shape
// and writes it into dst, which must have C*H*W values, and returns its
// label. Errors name the file.
func (f *ImageFolder) Example(i int, dst []float32) (int, error) {
	if i < 0 || i >= f.Len() {
		return 0, fmt.Errorf("example %d out of range [0, %d)", i, f.Len())
	}
	channels, height, width := f.shape[0], f.shape[1], f.shape[2]
	if len(dst) != channels*height*width {
		return 0, fmt.Errorf("example %d: destination has %d values, want %d (%dx%dx%d)",
			i, len(dst), channels*height*width, channels, height, width)
	}

	img, err := decodeImage(f.paths[i])
	if err != nil {
		return 0, fmt.Errorf("example %d: %w", i, err)
	}
	p := imagePlanes(img)
	resizedHeight, resizedWidth := resizedSize(p.height, p.width, height, width, f.resize)
	p = resize(p, resizedHeight, resizedWidth)
	if err := cropInto(p, channels, height, width, dst); err != nil {
		return 0, fmt.Errorf("example %d (%s): %w", i, f.paths[i], err)
	}
	return f.labels[i], nil
}

// decodeImage reads and decodes the PNG or JPEG file at path.
func decodeImage(path string) (image.Image, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("decode image: %w", err)
	}
	defer file.Close()

	img, _, err := image.Decode(bufio.NewReader(file))
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	if img.Bounds().Empty() {
		return nil, fmt.Errorf("decode %s: image has no pixels", path)
	}
	return img, nil
}
