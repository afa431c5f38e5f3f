// Package classify turns a caption into the features the caption model
// reads: it normalizes the text (Traditional to Simplified Chinese, full
// width to half width, case folding, removal of invisible and decorative
// characters, rejoining of characters spaced apart, and the obfuscation
// substitutions of tables/substitutions.tsv) while keeping, for every
// normalized rune, the byte span of the original text it came from; it
// then hashes character n-grams and lexicon hits into a sparse vector.
//
// Normalizer and Featurizer are values built once and safe for concurrent
// use; nothing in the package changes after construction.
package classify
