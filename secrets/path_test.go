package secrets

import (
	"errors"
	"strings"
	"testing"
)

func TestCleanPath(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string // substring of the error; "" means accepted
	}{
		{name: "simple", in: "sandboxes/abc"},
		{name: "one segment", in: "github"},
		{name: "dots inside names", in: "a.b/..c/d..", wantErr: ""},
		{name: "unicode", in: "équipe/clé"},
		{name: "empty", in: "", wantErr: "empty"},
		{name: "absolute", in: "/etc/passwd", wantErr: "absolute"},
		{name: "dotdot", in: "../x", wantErr: `".." segment`},
		{name: "dotdot inside", in: "a/../../b", wantErr: `".." segment`},
		{name: "dotdot last", in: "a/..", wantErr: `".." segment`},
		{name: "dot", in: "a/./b", wantErr: `"." segment`},
		{name: "lone dot", in: ".", wantErr: `"." segment`},
		{name: "double slash", in: "a//b", wantErr: "empty segment"},
		{name: "trailing slash", in: "a/b/", wantErr: "empty segment"},
		{name: "backslash", in: `a\..\b`, wantErr: "backslash"},
		{name: "newline", in: "a\nb", wantErr: "control character"},
		{name: "nul", in: "a\x00b", wantErr: "control character"},
		{name: "del", in: "a\x7fb", wantErr: "control character"},
		{name: "c1 control", in: "a\u0085b", wantErr: "control character"},
		{name: "bad utf8", in: "a\xffb", wantErr: "UTF-8"},
		{name: "too long", in: strings.Repeat("a", MaxPathLen+1), wantErr: "longer"},
		{name: "longest", in: strings.Repeat("a", MaxPathLen)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CleanPath(tc.in)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("CleanPath(%q): %v", tc.in, err)
				}
				if got != tc.in {
					t.Fatalf("got %q, want %q", got, tc.in)
				}
				return
			}
			if err == nil {
				t.Fatalf("CleanPath(%q) = %q, want an error", tc.in, got)
			}
			if !errors.Is(err, ErrInvalidPath) {
				t.Errorf("error %v is not ErrInvalidPath", err)
			}
			var e *Error
			if !errors.As(err, &e) || e.Path != tc.in {
				t.Errorf("error %#v does not carry the path", err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got %q, want it to mention %q", err, tc.wantErr)
			}
			if strings.ContainsAny(err.Error(), "\n\x00\x7f") {
				t.Errorf("error message %q carries a control character", err)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{
			name: "plain",
			err:  &Error{Op: "reading", Path: "sandboxes/abc", Err: ErrPermissionDenied},
			want: "secrets: reading sandboxes/abc: permission denied",
		},
		{
			name: "quoted",
			err:  &Error{Op: "checking", Path: "a b\n", Err: ErrInvalidPath},
			want: `secrets: checking "a b\n": invalid secret path`,
		},
		{
			name: "empty",
			err:  &Error{Op: "checking", Path: "", Err: ErrInvalidPath},
			want: `secrets: checking "": invalid secret path`,
		},
		{
			name: "long",
			err:  &Error{Op: "reading", Path: strings.Repeat("x", 300), Err: ErrNotFound},
			want: `secrets: reading "` + strings.Repeat("x", maxShownPath) + `"...: secret not found`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
