// Package corpus holds the training and evaluation data of the caption
// classifier; it has no Go API.
//
// The data live beside this file:
//
//   - dehumanization/: a hand-written corpus of Chinese captions (Simplified,
//     Traditional, Cantonese, obfuscated) labelled for dehumanizing and
//     offensive language, split into train.jsonl, dev.jsonl and heldout.jsonl.
//     The batch files it is generated from are in dehumanization/batches and
//     the generator is corpus/internal/gen.
//   - cold/: the COLD offensive-language dataset (Apache-2.0). Its test split
//     is for evaluation only.
//
// The tests of this package check the format of these files and of the
// normalization tables in classify/tables.
package corpus
