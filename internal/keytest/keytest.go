// Package keytest finds an API key, or a piece of it, in what a test saw:
// a key cut short by a message's length limit is still a secret.
package keytest

import "strings"

// Piece returns the first run of n characters of key that s holds, in any
// letter case, or "" when there is none.
func Piece(key, s string, n int) string {
	lower := strings.ToLower(s)
	for i := 0; i+n <= len(key); i++ {
		if strings.Contains(lower, strings.ToLower(key[i:i+n])) {
			return key[i : i+n]
		}
	}
	return ""
}
