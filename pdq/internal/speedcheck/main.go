// Command speedcheck measures the CPU time of hashing JPEG photos against
// the time libjpeg-turbo's djpeg takes merely to decode them.
//
// It runs djpeg once per file, and itself (in worker mode) once over all
// files for each pipeline, several times each, and reports the median user
// plus system CPU time of each, and its ratio to djpeg's, measured in the
// same run:
//
//	go run -tags turbo ./pdq/internal/speedcheck -runs 7 testdata/photos
//
// (without -tags turbo, the libjpeg-turbo pipelines are left out). With
// -cli and -cli-turbo it measures the real command as well, built without
// and with the turbo tag, by default and with --fast:
//
//	go build -o /tmp/medialabel ./cmd/medialabel
//	go build -tags turbo -o /tmp/medialabel-turbo ./cmd/medialabel
//	go run -tags turbo ./pdq/internal/speedcheck -runs 7 -cli /tmp/medialabel -cli-turbo /tmp/medialabel-turbo testdata/photos
//
// The rows cli, cli-fast, cli-turbo and cli-turbo-fast are the whole
// process of "medialabel hash --signals pdq,phash,md5 --workers 1
// [--fast]" over all the files at once. With
// -distances it prints instead how far PDQ and pHash move when JPEGs are
// decoded at reduced scale; distances.tsv holds that table for the
// repository's JPEGs, made with
//
//	go run -tags turbo ./pdq/internal/speedcheck -distances testdata/photos testdata/pdq-reference/pdq-data
//
// (file paths shortened).
//
// The reference of the distances is the full-size decode of package
// jpegscale, which gives libjpeg-turbo's samples bit for bit (the column
// turbo_vs_go, libjpeg-turbo's full-size hash against it, is 0).
//
// A worker pipeline reads each file, takes its MD5, decodes it and
// computes PDQ and goimagehash's pHash, as "medialabel hash --signals
// pdq,phash,md5 --workers 1" does.
package main

import (
	"bytes"
	"crypto/md5"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"io/fs"
	"log"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/corona10/goimagehash"

	"github.com/medialabel/medialabel/internal/jpegscale"
	"github.com/medialabel/medialabel/jpegturbo"
	"github.com/medialabel/medialabel/pdq"
)

func main() {
	runs := flag.Int("runs", 5, "runs of each measurement")
	worker := flag.String("worker", "", "run one pipeline over the files (internal)")
	only := flag.String("pipelines", strings.Join(pipelineNames(), ","), "pipelines to measure")
	cpuprofile := flag.String("cpuprofile", "", "with -worker: write a CPU profile")
	reps := flag.Int("reps", 1, "with -worker: passes over the files")
	distances := flag.Bool("distances", false, "print the PDQ distance of each reduced-scale decode to the full-size one")
	cli := flag.String("cli", "", "a medialabel binary to measure too (rows cli, cli-fast)")
	cliTurbo := flag.String("cli-turbo", "", "a medialabel binary built with -tags turbo to measure too (rows cli-turbo, cli-turbo-fast)")
	var others [][2]string
	flag.Func("cli-as", "NAME=PATH: another medialabel binary (an older build, say) to measure as row NAME; repeatable", func(v string) error {
		name, path, ok := strings.Cut(v, "=")
		if !ok || name == "" || path == "" {
			return fmt.Errorf("want NAME=PATH")
		}
		others = append(others, [2]string{name, path})
		return nil
	})
	flag.Parse()
	if flag.NArg() == 0 {
		log.Fatal("usage: speedcheck [-runs N] DIR|FILE...")
	}
	files, err := jpegFiles(flag.Args())
	if err != nil {
		log.Fatal(err)
	}
	if *distances {
		if err := printDistances(files); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *worker != "" {
		if *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			if err != nil {
				log.Fatal(err)
			}
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		for range *reps {
			if err := work(*worker, files); err != nil {
				log.Fatal(err)
			}
		}
		return
	}
	names := strings.Split(*only, ",")
	for _, n := range names {
		if !slices.Contains(pipelineNames(), n) {
			log.Fatalf("unknown pipeline %q (known: %s)", n, strings.Join(pipelineNames(), ", "))
		}
	}
	clis := map[string][]string{}
	if *cli != "" {
		clis["cli"] = []string{*cli}
		clis["cli-fast"] = []string{*cli, "--fast"}
	}
	if *cliTurbo != "" {
		clis["cli-turbo"] = []string{*cliTurbo}
		clis["cli-turbo-fast"] = []string{*cliTurbo, "--fast"}
	}
	for _, n := range []string{"cli", "cli-fast", "cli-turbo", "cli-turbo-fast"} {
		if clis[n] != nil {
			names = append(names, n)
		}
	}
	for _, o := range others {
		clis[o[0]] = []string{o[1]}
		names = append(names, o[0])
	}
	measure(files, *runs, names, clis)
}

func jpegFiles(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		err := filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ext := strings.ToLower(filepath.Ext(p)); !d.IsDir() && (ext == ".jpg" || ext == ".jpeg") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(files)
	return files, nil
}

// measure prints the median CPU time of djpeg and of each pipeline.
// clis maps the names of rows that run the real command to its binary and
// extra flags.
func measure(files []string, runs int, pipelines []string, clis map[string][]string) {
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	times := map[string][]time.Duration{}
	names := append([]string{"djpeg"}, pipelines...)
	for r := range runs {
		// Interleave the measurements, so that a busy spell of the
		// machine weighs on all of them alike.
		for _, name := range names {
			var cpu time.Duration
			if name == "djpeg" {
				for _, f := range files {
					cpu += run(exec.Command("djpeg", "-outfile", os.DevNull, f))
				}
			} else if c, ok := clis[name]; ok {
				args := append([]string{"hash", "--signals", "pdq,phash,md5", "--workers", "1", "--progress", "never"}, c[1:]...)
				cpu = run(exec.Command(c[0], append(args, files...)...))
			} else {
				cpu = run(exec.Command(self, append([]string{"-worker", name}, files...)...))
			}
			times[name] = append(times[name], cpu)
		}
		fmt.Fprintf(os.Stderr, "run %d/%d done\n", r+1, runs)
	}
	base := median(times["djpeg"])
	fmt.Printf("%d files, %d runs, median user+sys CPU time\n", len(files), runs)
	for _, name := range names {
		m := median(times[name])
		fmt.Printf("%-14s %8.1f ms  %5.2fx djpeg  (runs: %v)\n", name, ms(m), float64(m)/float64(base), msList(times[name]))
	}
}

func run(cmd *exec.Cmd) time.Duration {
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("%v: %v", cmd.Args[:2], err)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func msList(d []time.Duration) string {
	var b strings.Builder
	for i, x := range d {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.0f", ms(x))
	}
	return b.String()
}

// A pipeline decodes one JPEG file's bytes and hashes it.
type pipeline struct {
	decode func(data []byte) (image.Image, error)
	phash  func(img image.Image) (uint64, error)
}

var pipelines = map[string]pipeline{
	// The plain standard library: image/jpeg, pHash of the full image.
	"std": {decode: stdDecode, phash: fullPHash},
	// Decoding alone, for reference.
	"decode-only": {decode: stdDecode},
	// The fork of image/jpeg (internal/jpegscale, libjpeg-turbo's samples
	// at full scale; the default decoder of medialabel), and at
	// reduced scale with the largest denominator keeping both sides at
	// least 512, 384 or 256 pixels; and decoding alone at the 512 rule.
	"fork":                {decode: scaledDecode(0), phash: fullPHash},
	"fast512":             {decode: scaledDecode(512), phash: fullPHash},
	"fast384":             {decode: scaledDecode(384), phash: fullPHash},
	"fast256":             {decode: scaledDecode(256), phash: fullPHash},
	"fast512-decode-only": {decode: scaledDecode(512)},
	// libjpeg-turbo (build with -tags turbo), at full and reduced scale,
	// and decoding alone at full scale.
	"turbo":      {decode: turboDecode(0), phash: fullPHash},
	"turbo512":   {decode: turboDecode(512), phash: fullPHash},
	"turbo384":   {decode: turboDecode(384), phash: fullPHash},
	"turbo256":   {decode: turboDecode(256), phash: fullPHash},
	"turbo-only": {decode: turboDecode(0)},
	// Full-size decodes, with pHash computed on a copy reduced 8 times by
	// averaging, as fingerprint might do it.
	"std-phash8":   {decode: stdDecode, phash: reducedPHash},
	"turbo-phash8": {decode: turboDecode(0), phash: reducedPHash},
}

// reducedPHash is goimagehash's pHash of img reduced 8 times in each
// dimension by averaging 8x8 blocks (of the luma and chroma planes of a
// *image.YCbCr, of the channels of a *image.RGBA).
func reducedPHash(img image.Image) (uint64, error) {
	return fullPHash(reduce8(img))
}

func reduce8(img image.Image) image.Image {
	b := img.Bounds()
	w, h := b.Dx()/8, b.Dy()/8
	if w < 8 || h < 8 {
		return img
	}
	switch m := img.(type) {
	case *image.RGBA:
		out := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				var sum [3]int
				for dy := range 8 {
					p := m.Pix[(8*y+dy)*m.Stride+32*x:]
					for dx := range 8 {
						sum[0] += int(p[4*dx])
						sum[1] += int(p[4*dx+1])
						sum[2] += int(p[4*dx+2])
					}
				}
				o := out.Pix[y*out.Stride+4*x:]
				o[0], o[1], o[2], o[3] = uint8(sum[0]/64), uint8(sum[1]/64), uint8(sum[2]/64), 0xff
			}
		}
		return out
	case *image.YCbCr:
		out := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio444)
		for y := range h {
			for x := range w {
				var sy, sb, sr int
				for dy := range 8 {
					for dx := range 8 {
						px, py := b.Min.X+8*x+dx, b.Min.Y+8*y+dy
						sy += int(m.Y[m.YOffset(px, py)])
						ci := m.COffset(px, py)
						sb += int(m.Cb[ci])
						sr += int(m.Cr[ci])
					}
				}
				i := y*out.YStride + x
				out.Y[i], out.Cb[i], out.Cr[i] = uint8(sy/64), uint8(sb/64), uint8(sr/64)
			}
		}
		return out
	}
	return img
}

// denominator returns the largest of 2, 4 and 8 that keeps both sides of
// the JPEG in data at least minSide, or 1.
func denominator(data []byte, minSide int) (int, error) {
	denom := 1
	if minSide <= 0 {
		return denom, nil
	}
	cfg, err := jpegscale.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, err
	}
	for _, n := range []int{2, 4, 8} {
		if cfg.Width/n >= minSide && cfg.Height/n >= minSide {
			denom = n
		}
	}
	return denom, nil
}

func turboDecode(minSide int) func([]byte) (image.Image, error) {
	return func(data []byte) (image.Image, error) {
		denom, err := denominator(data, minSide)
		if err != nil {
			return nil, err
		}
		return jpegturbo.DecodeBytes(data, denom)
	}
}

// scaledDecode decodes with jpegscale at the largest scale denominator
// (2, 4 or 8) that keeps both sides at least minSide; 0 means full scale.
func scaledDecode(minSide int) func([]byte) (image.Image, error) {
	return func(data []byte) (image.Image, error) {
		denom, err := denominator(data, minSide)
		if err != nil {
			return nil, err
		}
		return jpegscale.Decode(bytes.NewReader(data), denom)
	}
}

// pipelineNames lists the pipelines that can run in this build: the
// libjpeg-turbo ones need the turbo build tag.
func pipelineNames() []string {
	var names []string
	for n := range pipelines {
		if strings.HasPrefix(n, "turbo") && !jpegturbo.Available {
			continue
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func stdDecode(data []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(data)) }

func fullPHash(img image.Image) (uint64, error) {
	h, err := goimagehash.PerceptionHash(img)
	if err != nil {
		return 0, err
	}
	return h.GetHash(), nil
}

// work runs one pipeline over the files, as the CLI would.
func work(name string, files []string) error {
	p, ok := pipelines[name]
	if !ok {
		return fmt.Errorf("unknown pipeline %q", name)
	}
	var h pdq.Hasher
	out := bytes.NewBuffer(nil)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		sum := md5.Sum(data)
		img, err := p.decode(data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if p.phash == nil {
			continue
		}
		hash, q := h.HashImage(img)
		ph, err := p.phash(img)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		fmt.Fprintf(out, "%s %v %d %016x %x\n", f, hash, q, ph, sum)
	}
	_, err := os.Stdout.Write(out.Bytes())
	return err
}

// printDistances prints, for each file, its size and the PDQ and pHash
// distances between the full-size jpegscale decode (libjpeg-turbo's
// samples) and each reduced-scale jpegscale decode; with libjpeg-turbo,
// also the distance of its full-size decode to jpegscale's, and of its
// reduced-scale decodes to its full-size one.
func printDistances(files []string) error {
	var h pdq.Hasher
	fmt.Print("file\twidth\theight\tquality\tpdq_d2\tpdq_d4\tpdq_d8\tphash_d2\tphash_d4\tphash_d8\tphash_reduce8")
	if jpegturbo.Available {
		fmt.Print("\tturbo_vs_go\tturbo_d2\tturbo_d4\tturbo_d8")
	}
	fmt.Println()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		full, err := jpegscale.Decode(bytes.NewReader(data), 1)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		ref, q := h.HashImage(full)
		refP, err := fullPHash(full)
		if err != nil {
			return err
		}
		b := full.Bounds()
		fmt.Printf("%s\t%d\t%d\t%d", f, b.Dx(), b.Dy(), q)
		reducedP, err := reducedPHash(full)
		if err != nil {
			return err
		}
		var pd []int
		for _, denom := range []int{2, 4, 8} {
			img, err := jpegscale.Decode(bytes.NewReader(data), denom)
			if err != nil {
				return fmt.Errorf("%s at 1/%d: %w", f, denom, err)
			}
			hash, _ := h.HashImage(img)
			fmt.Printf("\t%d", pdq.Distance(ref, hash))
			p, err := fullPHash(img)
			if err != nil {
				return err
			}
			pd = append(pd, bits.OnesCount64(p^refP))
		}
		fmt.Printf("\t%d\t%d\t%d\t%d", pd[0], pd[1], pd[2], bits.OnesCount64(reducedP^refP))
		if jpegturbo.Available {
			// libjpeg-turbo at full size against jpegscale, then its
			// reduced-scale decodes against its full-size one.
			var tref pdq.Hash
			for i, denom := range []int{1, 2, 4, 8} {
				img, err := jpegturbo.DecodeBytes(data, denom)
				if err != nil {
					return fmt.Errorf("%s at 1/%d: %w", f, denom, err)
				}
				hash, _ := h.HashImage(img)
				if i == 0 {
					tref = hash
					fmt.Printf("\t%d", pdq.Distance(ref, hash))
					continue
				}
				fmt.Printf("\t%d", pdq.Distance(tref, hash))
			}
		}
		fmt.Println()
	}
	return nil
}
