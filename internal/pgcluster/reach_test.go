package pgcluster

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"
)

// The kernel looks at one set of bits only: the owner's for the owner (even when the
// others' would let it in), else the group's for the group, else the others'.
func TestMayEnterFollowsTheKernel(t *testing.T) {
	t.Parallel()
	pg := runAs{uid: 101, gid: 104, switchUser: true}
	cases := []struct {
		mode     fs.FileMode
		uid, gid int
		want     bool
	}{
		{0o700, 0, 0, false},
		{0o755, 0, 0, true},
		{0o711, 0, 0, true},
		{0o750, 0, 104, true},
		{0o705, 0, 104, false},
		{0o700, 101, 0, true},
		{0o077, 101, 104, false},
		{0o001, 0, 0, true},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, pg.mayEnter(tc.mode, tc.uid, tc.gid), "mode %04o owner %d:%d", tc.mode, tc.uid, tc.gid)
	}
}
