package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/hashdb"
	"github.com/medialabel/medialabel/imagefile"
	"github.com/medialabel/medialabel/matcher"
	"github.com/medialabel/medialabel/meme"
	"github.com/medialabel/medialabel/server"
)

// Defaults of the serve command.
const (
	defaultServeAddr = "127.0.0.1:8080"
	defaultMaxPixels = 40_000_000
)

type serveFlags struct {
	addr       string
	apiKeys    string
	maxBody    string
	maxPixels  int64
	maxDecodes int
	model      string
	modelPool  int
	queueWait  time.Duration
	regions    bool
}

func newServeCmd(g *globals) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080]",
		Short: "Serve the HTTP API and the moderators' page",
		Long: `Serve the HTTP API (/v1/label, /v1/hash, /v1/match, /v1/classify, bank
management), the moderators' page at /, and /healthz, /readyz, /metrics and
/openapi.json.

API keys come from --api-keys FILE or the environment variable
MEDIALABEL_API_KEYS, as ROLE:KEY items separated by commas or new lines;
ROLE is label (read-only calls) or admin (bank changes too). Without keys
the service only listens on loopback.

SIGTERM or SIGINT stops accepting connections and lets the requests in
flight finish.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", defaultServeAddr, "address to listen on")
	fl.StringVar(&f.apiKeys, "api-keys", "", "file of ROLE:KEY API keys (default: env MEDIALABEL_API_KEYS)")
	fl.StringVar(&f.maxBody, "max-body", "20MB", "largest request body (KB, MB, GB; KiB, MiB, GiB)")
	fl.Int64Var(&f.maxPixels, "max-pixels", defaultMaxPixels, "largest image, in pixels (width × height), checked from the header")
	fl.IntVar(&f.maxDecodes, "max-decodes", 1, "images decoded and hashed at once, each spread over all cores; more uploads wait their turn up to --queue-wait, then get 503 (2 gives more throughput, with longer tails)")
	fl.StringVar(&f.model, "model", "", "caption model (.onnx); default: the bundled model")
	fl.IntVar(&f.modelPool, "model-pool", runtime.GOMAXPROCS(0), "caption model instances")
	fl.BoolVar(&f.regions, "regions", true, "also look up the regions of an upload (a meme's picture without its caption bar, each side of a juxtaposition)")
	fl.DurationVar(&f.queueWait, "queue-wait", server.DefaultQueueWait, "how long a request waits for a decode or upload slot before 503")
	return cmd
}

func runServe(ctx context.Context, g *globals, f serveFlags) error {
	maxBody, err := parseSize(f.maxBody)
	if err != nil {
		return usageError(fmt.Errorf("--max-body: %w", err))
	}
	if f.maxPixels <= 0 || f.maxDecodes <= 0 || f.modelPool <= 0 {
		return usageError(errors.New("--max-pixels, --max-decodes and --model-pool must be positive"))
	}
	keys, err := loadAPIKeys(f.apiKeys)
	if err != nil {
		return usageError(err)
	}
	if err := server.CheckListenAddr(f.addr, len(keys) > 0); err != nil {
		return usageError(err)
	}

	store, err := hashdb.Open(ctx, g.db)
	if err != nil {
		return usageError(err)
	}
	defer store.Close()
	g.logger.Info("store open", "db", g.db)

	start := time.Now()
	classifier, err := openClassifier(ctx, f.model, f.modelPool)
	if err != nil {
		return usageError(fmt.Errorf("model: %w", err))
	}
	g.logger.Info("caption model ready", "pool", classifier.PoolSize(), "took", time.Since(start).Round(time.Millisecond))

	hasher, err := newServeHasher(f.maxDecodes, imagefile.Decoder{MaxPixels: f.maxPixels, MaxBytes: maxBody}, f.regions)
	if err != nil {
		return err
	}
	start = time.Now()
	m, err := matcher.New(ctx, store, matcher.Options{})
	if err != nil {
		return fmt.Errorf("loading the indexes: %w", err)
	}
	g.logger.Info("indexes built", "hashes", m.Len(), "bytes", m.MemoryBytes(), "took", time.Since(start).Round(time.Millisecond))

	gin.SetMode(gin.ReleaseMode)
	srv, err := server.New(server.Config{
		Hasher:     hasher,
		Matcher:    matchAdapter{m},
		Banks:      store,
		Editor:     m,
		Classifier: classifier,
		Ready: []server.Check{
			{Name: "index", Check: func(context.Context) error { return nil }}, // built before serving
			{Name: "store", Check: func(ctx context.Context) error { _, err := store.Banks(ctx); return err }},
			{Name: "model", Check: func(context.Context) error {
				if classifier.PoolSize() == 0 {
					return errors.New("no model instances")
				}
				return nil
			}},
		},
		Collectors: []prometheus.Collector{
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "medialabel_index_memory_bytes",
				Help: "Memory taken by the match indexes.",
			}, func() float64 { return float64(m.MemoryBytes()) }),
			indexSizeCollector{m: m, desc: prometheus.NewDesc("medialabel_index_hashes",
				"Hashes in the match indexes, by signal.", []string{"signal"}, nil)},
		},
		Keys:         keys,
		Logger:       g.logger,
		MaxBodyBytes: maxBody,
		MaxDecodes:   f.maxDecodes,
		QueueWait:    f.queueWait,
	})
	if err != nil {
		return usageError(err)
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return usageError(fmt.Errorf("listen: %w", err))
	}
	return srv.Serve(ctx, ln)
}

// loadAPIKeys reads the keys from path, else from MEDIALABEL_API_KEYS.
func loadAPIKeys(path string) ([]server.APIKey, error) {
	text, from := os.Getenv("MEDIALABEL_API_KEYS"), "MEDIALABEL_API_KEYS"
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--api-keys: %w", err)
		}
		text, from = string(b), path
	}
	keys, err := server.ParseAPIKeys(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return keys, nil
}

// parseSize reads a byte count such as 20MB, 512KiB or 1048576.
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q: want a positive size such as 20MB", s)
	}
	return n * mult, nil
}

// serveHasher is the server's ImageHasher: a pool of meme hashers, each
// used by one request at a time and spreading its query over GOMAXPROCS
// goroutines, so that one upload's latency is not one core's time.
type serveHasher struct {
	pool chan *meme.Hasher
}

func newServeHasher(n int, dec imagefile.Decoder, withRegions bool) (*serveHasher, error) {
	h := &serveHasher{pool: make(chan *meme.Hasher, n)}
	for range n {
		// pdq (with its rotations and mirrors), phash, md5; the PDQ of
		// the regions of an upload and of the crops of a new entry.
		mh, err := meme.New(meme.Options{Dihedral: true, Regions: withRegions, Decoder: dec, Workers: runtime.GOMAXPROCS(0)})
		if err != nil {
			return nil, err
		}
		h.pool <- mh
	}
	return h, nil
}

func (h *serveHasher) get(ctx context.Context) (*meme.Hasher, error) {
	select {
	case p := <-h.pool:
		return p, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Fingerprint implements server.ImageHasher: the picture's signals, and
// the PDQ of the candidate regions that package regions finds in it (a
// meme's picture without its caption bar or frame, each side of a
// juxtaposition), as the match command looks them up.
func (h *serveHasher) Fingerprint(ctx context.Context, data []byte) (medialabel.Fingerprint, []medialabel.RegionHash, error) {
	p, err := h.get(ctx)
	if err != nil {
		return medialabel.Fingerprint{}, nil, err
	}
	defer func() { h.pool <- p }()
	q, err := p.Query(ctx, data)
	if err != nil {
		return medialabel.Fingerprint{}, nil, imageError(err)
	}
	var rs []medialabel.RegionHash
	for _, r := range q.Query.Regions {
		for _, rh := range r.Hashes {
			rs = append(rs, medialabel.RegionHash{Region: r.Name, Hash: rh})
		}
	}
	return q.Fingerprint, rs, nil
}

// Entry implements server.ImageHasher.
func (h *serveHasher) Entry(ctx context.Context, data []byte) (medialabel.Entry, error) {
	p, err := h.get(ctx)
	if err != nil {
		return medialabel.Entry{}, err
	}
	defer func() { h.pool <- p }()
	e, _, err := p.Entry(ctx, data)
	return e, imageError(err)
}

// kindError gives an imagefile error the server's matching kind, keeping
// its message.
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string        { return e.err.Error() }
func (e *kindError) Unwrap() []error      { return []error{e.kind, e.err} }
func (e *kindError) Is(target error) bool { return target == e.kind }

func imageError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, imagefile.ErrTooLarge):
		return &kindError{server.ErrImageTooLarge, err}
	case errors.Is(err, imagefile.ErrUnsupported):
		return &kindError{server.ErrImageFormat, err}
	case errors.Is(err, imagefile.ErrCorrupt):
		return &kindError{server.ErrImageCorrupt, err}
	}
	return err
}

// indexSizeCollector reports the number of hashes indexed per signal.
type indexSizeCollector struct {
	m    *matcher.Matcher
	desc *prometheus.Desc
}

func (c indexSizeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c indexSizeCollector) Collect(ch chan<- prometheus.Metric) {
	for sig, n := range c.m.Len() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), string(sig))
	}
}

// matchAdapter is the server's Matcher over the indexed matcher.
type matchAdapter struct {
	m *matcher.Matcher
}

// Match implements server.Matcher.
func (a matchAdapter) Match(ctx context.Context, fp medialabel.Fingerprint, regions []medialabel.RegionHash, threshold int) ([]medialabel.Match, error) {
	q := matcher.Query{Hashes: fp.Hashes, Dihedral: fp.Dihedral}
	for _, r := range regions {
		q.Regions = append(q.Regions, matcher.Region{Name: r.Region, Hashes: []medialabel.Hash{r.Hash}})
	}
	if threshold >= 0 {
		q.Thresholds = map[medialabel.Signal]int{}
		for _, h := range fp.Hashes {
			q.Thresholds[h.Signal] = threshold
		}
	}
	return a.m.Match(ctx, q)
}
