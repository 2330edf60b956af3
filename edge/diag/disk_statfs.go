//go:build linux || darwin || freebsd

package diag

import "syscall"

// diskSpace returns the bytes free to an unprivileged user and the size of
// the filesystem holding path.
func diskSpace(path string) (free, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), uint64(st.Blocks) * uint64(st.Bsize), nil
}
