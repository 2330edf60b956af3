package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Second factors are kept sealed: a TOTP secret is the one credential the
// hub must be able to read back, so a copy of hub.db (a backup, a
// support bundle) must not be enough to mint a user's codes. The key is
// 32 random bytes in KeyFile beside the database, made on first use and
// readable by the hub's user only; back it up apart from the database.
// A sealed secret is "v1:" and base64url of nonce and AES-256-GCM
// ciphertext, the user's name bound in as additional data (a sealed
// secret copied to another user does not open).

// KeyFile is the file in the hub's data folder that holds the key.
const KeyFile = "console.key"

// KeySize is the key's length in bytes.
const KeySize = 32

// sealedPrefix starts a sealed secret; a stored secret without it was
// written before sealing, and is sealed at its user's next sign-in.
const sealedPrefix = "v1:"

var (
	// ErrNoKey: the service has no key to seal a second factor with.
	ErrNoKey = errors.New("auth: no key to seal second factors (the hub's " + KeyFile + ")")
	// ErrSealed: a sealed second factor does not open with the key: the
	// key file was replaced or lost. Remove the user's second factor
	// (user totp-remove) and enrol it again.
	ErrSealed = errors.New("auth: a second factor does not open with this hub's " + KeyFile + "; remove it (user totp-remove) and enrol again")
)

// LoadKey reads the key from dir's KeyFile, making it (mode 0600) when
// there is none.
func LoadKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return LoadKey(dir) // another process made it first
		} else if err != nil {
			return nil, fmt.Errorf("make %s: %w", path, err)
		}
		_, err = f.WriteString(hex.EncodeToString(key) + "\n")
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		return key, nil
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("%s: not %d bytes in hex; restore it from the backup (a new one cannot open the second factors sealed with the old)", path, KeySize)
	}
	return key, nil
}

func aead(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, ErrNoKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal seals user's secret.
func seal(key []byte, user, secret string) (string, error) {
	g, err := aead(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(g.Seal(nonce, nonce, []byte(secret), []byte(user))), nil
}

// unseal opens user's stored secret; one stored before sealing is
// returned as it is, with legacy set.
func unseal(key []byte, user, stored string) (secret string, legacy bool, err error) {
	rest, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return stored, true, nil
	}
	g, err := aead(key)
	if err != nil {
		return "", false, err
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(b) < g.NonceSize() {
		return "", false, ErrSealed
	}
	plain, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], []byte(user))
	if err != nil {
		return "", false, ErrSealed
	}
	return string(plain), false, nil
}
