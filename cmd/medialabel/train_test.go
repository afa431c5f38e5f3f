package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medialabel/medialabel/model"
)

// writeTinyCorpus writes a COLD-shaped and a dehumanization-shaped corpus.
func writeTinyCorpus(t *testing.T) (cold, dehum string) {
	t.Helper()
	dir := t.TempDir()
	cold, dehum = filepath.Join(dir, "cold"), filepath.Join(dir, "dehum")
	for _, d := range []string{cold, dehum} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var csv strings.Builder
	csv.WriteString("\ufeff,split,topic,label,TEXT\n")
	var jl strings.Builder
	for i := range 6 {
		fmt.Fprintf(&csv, "%d,train,race,1,你这个垃圾滚%d\n%d,train,race,0,今天天气很好%d\n", 2*i, i, 2*i+1, i)
		fmt.Fprintf(&jl, "{\"text\":\"一群蟑螂又出来了%d\",\"dehumanizing\":1,\"offensive\":1}\n", i)
		fmt.Fprintf(&jl, "{\"text\":\"厨房里有一只蟑螂%d\",\"dehumanizing\":0,\"offensive\":0}\n", i)
	}
	for _, split := range []string{"train", "dev"} {
		if err := os.WriteFile(filepath.Join(cold, split+".csv"), []byte(csv.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dehum, split+".jsonl"), []byte(jl.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return cold, dehum
}

func TestTrainThenClassify(t *testing.T) {
	cold, dehum := writeTinyCorpus(t)
	out := filepath.Join(t.TempDir(), "m.onnx")
	args := []string{"train", "--cold", cold, "--dehumanization", dehum, "--out", out,
		"--dim", "4096", "--hidden", "8", "--dehumanizing-units", "4", "--epochs", "2", "--ensemble", "1"}
	code, stdout, errs := runCmd(t, "", args...)
	if code != exitOK {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	if !strings.Contains(stdout, "wrote "+out) {
		t.Errorf("stdout %q", stdout)
	}
	first, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(strings.TrimSuffix(out, ".onnx") + ".selfcheck.json"); err != nil {
		t.Errorf("no self-check sidecar: %v", err)
	}
	if code, _, errs := runCmd(t, "", args...); code != exitOK {
		t.Fatalf("second train: exit %d: %s", code, errs)
	}
	second, _ := os.ReadFile(out)
	if string(first) != string(second) {
		t.Error("two runs with the same data and seed wrote different files")
	}
	code, stdout, errs = runCmd(t, "", "classify", "--model", out, "一群蟑螂又出来了0")
	if code != exitOK || !strings.Contains(stdout, `"text":"一群蟑螂又出来了0"`) {
		t.Fatalf("classify with the trained model: exit %d, %s %s", code, stdout, errs)
	}
}

func TestTrainUsage(t *testing.T) {
	if code, _, _ := runCmd(t, "", "train", "--cold", "", "--dehumanization", ""); code != exitUsage {
		t.Errorf("no data: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := runCmd(t, "", "train", "--cold-dehumanizing", "maybe"); code != exitUsage {
		t.Errorf("bad mode: exit %d, want %d", code, exitUsage)
	}
}

func TestLoadTrainingDataColdDev(t *testing.T) {
	cold, dehum := writeTinyCorpus(t)
	count := func(rows []model.LabeledText, source string) int {
		n := 0
		for _, r := range rows {
			if r.Source == source {
				n++
			}
		}
		return n
	}
	for _, inTrain := range []bool{false, true} {
		train, dev, err := loadTrainingData(cold, dehum, "safe", 1, 0, inTrain)
		if err != nil {
			t.Fatal(err)
		}
		devRows := count(dev, "cold/dev")
		if devRows == 0 || count(train, "cold/train") == 0 {
			t.Fatalf("inTrain %v: no COLD rows read", inTrain)
		}
		want := 0
		if inTrain {
			want = devRows
		}
		if got := count(train, "cold/dev"); got != want {
			t.Errorf("inTrain %v: %d COLD dev rows in train, want %d", inTrain, got, want)
		}
		for _, r := range dev {
			if r.Source == "cold/dev" && r.Dehumanizing != model.Unknown {
				t.Fatalf("inTrain %v: COLD dev row %q has a dehumanizing label in dev", inTrain, r.Text)
			}
		}
	}
	// Three copies of each corpus caption, the first keeping its offensive
	// label and the other two counting for dehumanizing only.
	train, _, err := loadTrainingData(cold, dehum, "safe", 3, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	var withOff, without int
	for _, r := range train {
		if r.Source != "dehumanization/train" {
			continue
		}
		if r.Offensive == model.Unknown {
			without++
		} else {
			withOff++
		}
		if r.Dehumanizing == model.Unknown {
			t.Fatalf("corpus row %q lost its dehumanizing label", r.Text)
		}
	}
	if withOff == 0 || without != 2*withOff {
		t.Errorf("repeat 3, offensive repeat 1: %d copies with the offensive label and %d without, want n and 2n", withOff, without)
	}
}
