package modem

// The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038
// §6.2.1 and §6.2.1.1), and the packing of septets into octets (§6.1.2.1).

// gsm7 maps a septet of the default alphabet to its character. 0x1B is
// the escape to the extension table.
var gsm7 = [128]rune{
	'@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', 0x1B, 'Æ', 'æ', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
}

// gsm7Ext is the extension table: the septet after an escape.
var gsm7Ext = map[byte]rune{
	0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\',
	0x3C: '[', 0x3D: '~', 0x3E: ']', 0x40: '|', 0x65: '€',
}

var (
	gsm7Rev    = map[rune]byte{}
	gsm7ExtRev = map[rune]byte{}
)

func init() {
	for i, r := range gsm7 {
		if i != 0x1B {
			gsm7Rev[r] = byte(i)
		}
	}
	for s, r := range gsm7Ext {
		gsm7ExtRev[r] = s
	}
}

// gsm7Septets returns text as septets of the default alphabet (an
// extension character takes two) and whether every character has one.
func gsm7Septets(text string) ([]byte, bool) {
	out := make([]byte, 0, len(text))
	for _, r := range text {
		if s, ok := gsm7Rev[r]; ok {
			out = append(out, s)
		} else if s, ok := gsm7ExtRev[r]; ok {
			out = append(out, 0x1B, s)
		} else {
			return nil, false
		}
	}
	return out, true
}

// gsm7Text turns septets back into text. An escape followed by a septet
// that is not in the extension table reads as that septet of the default
// alphabet (23.038: "display the character of the default alphabet").
func gsm7Text(septets []byte) string {
	out := make([]rune, 0, len(septets))
	for i := 0; i < len(septets); i++ {
		s := septets[i] & 0x7F
		if s == 0x1B {
			if i+1 == len(septets) {
				out = append(out, ' ')
				break
			}
			i++
			n := septets[i] & 0x7F
			if r, ok := gsm7Ext[n]; ok {
				out = append(out, r)
			} else if n != 0x1B {
				out = append(out, gsm7[n])
			} else {
				out = append(out, ' ')
			}
			continue
		}
		out = append(out, gsm7[s])
	}
	return string(out)
}

// packSeptets packs septets into octets, least significant bit first,
// starting skip septets into the output (the room a user data header and
// its fill bits take; the caller writes the header over those octets).
func packSeptets(septets []byte, skip int) []byte {
	total := skip + len(septets)
	out := make([]byte, (total*7+7)/8)
	for i, s := range septets {
		bit := (skip + i) * 7
		v := uint16(s&0x7F) << (bit % 8)
		out[bit/8] |= byte(v)
		if bit/8+1 < len(out) {
			out[bit/8+1] |= byte(v >> 8)
		}
	}
	return out
}

// unpackSeptets reads n septets from packed octets, beginning skip
// septets in. It stops early when the octets run out.
func unpackSeptets(packed []byte, skip, n int) []byte {
	out := make([]byte, 0, max(n-skip, 0))
	for i := skip; i < n; i++ {
		bit := i * 7
		if bit/8 >= len(packed) {
			break
		}
		v := uint16(packed[bit/8])
		if bit/8+1 < len(packed) {
			v |= uint16(packed[bit/8+1]) << 8
		}
		out = append(out, byte(v>>(bit%8))&0x7F)
	}
	return out
}
