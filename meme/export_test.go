package meme

// Mirrored is mirrored, for the tests.
var Mirrored = mirrored
