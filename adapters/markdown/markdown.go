// Package markdown is the sink that writes a proposal as files: the post
// and its appendix in Markdown and the charts beside them, in a directory
// of their own per cycle (<dir>/<cycle-id>/), for a steward to paste
// into a forum or commit to a repository.
//
// Config (an entry of sinks):
//
//   - type: markdown
//     dir: proposals        # relative to the config file's directory
//
// Each file is written atomically (a reader sees the old bytes or the
// new, never a part). post.md ends with the publication's key in an HTML
// comment, by which Find recognises an earlier publication.
package markdown

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/internal/atomicfile"
)

// Type is the sink's type name in the config.
const Type = "markdown"

// The files a publication is written to, beside its charts.
const (
	PostFile     = "post.md"
	AppendixFile = "appendix.md"
)

func init() { adapters.RegisterSink(Type, func() adapters.SinkConfig { return &Config{} }) }

// Config is the markdown sink's section.
type Config struct {
	// Dir is the directory each cycle's files go under, in a directory
	// named by the cycle id; relative to the config file's directory.
	Dir string `yaml:"dir"`
}

// Check reports an empty dir.
func (c *Config) Check() []adapters.FieldError {
	if strings.TrimSpace(c.Dir) == "" {
		return []adapters.FieldError{{Field: "dir", Msg: "is empty; give the directory the posts go under, e.g. dir: proposals"}}
	}
	return nil
}

// NewSink returns the sink writing under c.Dir.
func (c *Config) NewSink(env adapters.Env) (adapters.Sink, error) {
	if errs := c.Check(); len(errs) > 0 {
		return nil, errs[0]
	}
	dir := c.Dir
	if !filepath.IsAbs(dir) && env.Dir != "" {
		dir = filepath.Join(env.Dir, dir)
	}
	return &Sink{dir: dir, env: env}, nil
}

// Sink writes publications as files.
type Sink struct {
	dir string
	env adapters.Env
}

// file is one file of a publication.
type file struct {
	name, contentType string
	data              []byte
}

// files are what p is written as, after checking that every name is a
// plain file name.
func (s *Sink) files(p *adapters.Publication) ([]file, error) {
	if p.Proposal == nil {
		return nil, adapters.NotSent(errors.New("markdown: the publication has no proposal"))
	}
	if err := plainName(p.CycleID); err != nil {
		return nil, adapters.NotSent(fmt.Errorf("markdown: cycle id: %w", err))
	}
	out := []file{
		{PostFile, "text/markdown; charset=utf-8", []byte(strings.TrimRight(p.Proposal.Post, "\n") + "\n\n" + p.Marker() + "\n")},
		{AppendixFile, "text/markdown; charset=utf-8", []byte(p.Proposal.Appendix)},
	}
	seen := map[string]bool{PostFile: true, AppendixFile: true}
	for _, f := range p.Files {
		if err := plainName(f.Name); err != nil {
			return nil, adapters.NotSent(fmt.Errorf("markdown: attachment: %w", err))
		}
		if seen[f.Name] {
			return nil, adapters.NotSent(fmt.Errorf("markdown: attachment %q is named twice, or like the post or appendix", f.Name))
		}
		seen[f.Name] = true
		out = append(out, file{f.Name, f.ContentType, f.Data})
	}
	return out, nil
}

// plainName refuses a name that is not one file in one directory.
func plainName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`+"\x00") || filepath.Base(name) != name {
		return fmt.Errorf("%q is not a plain file name", name)
	}
	return nil
}

// target is the directory p's files go to.
func (s *Sink) target(p *adapters.Publication) string { return filepath.Join(s.dir, p.CycleID) }

// Publish writes p's files under <dir>/<cycle-id>/, each atomically, and
// lists them in the receipt, whose ID is that directory.
func (s *Sink) Publish(ctx context.Context, p *adapters.Publication) (adapters.Receipt, error) {
	files, err := s.files(p)
	if err != nil {
		return adapters.Receipt{}, err
	}
	dir := s.target(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return adapters.Receipt{}, adapters.NotSent(fmt.Errorf("markdown: %w", err))
	}
	r := adapters.Receipt{ID: dir}
	// The post last: its key marks the publication whole.
	for _, f := range append(files[1:], files[0]) {
		if err := ctx.Err(); err != nil {
			return adapters.Receipt{}, err
		}
		path := filepath.Join(dir, f.name)
		if err := atomicfile.WriteFile(path, f.data); err != nil {
			return adapters.Receipt{}, fmt.Errorf("markdown: %w", err)
		}
		r.Files = append(r.Files, path)
	}
	s.env.Log().Info("published", "sink", Type, "dir", dir, "files", len(r.Files))
	return r, nil
}

// Preview lists the files Publish would write.
func (s *Sink) Preview(_ context.Context, p *adapters.Publication) ([]adapters.Outgoing, error) {
	files, err := s.files(p)
	if err != nil {
		return nil, err
	}
	out := make([]adapters.Outgoing, len(files))
	for i, f := range files {
		out[i] = adapters.Outgoing{Target: filepath.Join(s.target(p), f.name), ContentType: f.contentType, Body: f.data}
	}
	return out, nil
}

// Find reports the files of an earlier publication of p: found when
// post.md, which is written last, carries p's key.
func (s *Sink) Find(_ context.Context, p *adapters.Publication) (adapters.Receipt, bool, error) {
	files, err := s.files(p)
	if err != nil {
		return adapters.Receipt{}, false, err
	}
	dir := s.target(p)
	post, err := os.ReadFile(filepath.Join(dir, PostFile))
	if errors.Is(err, fs.ErrNotExist) {
		return adapters.Receipt{}, false, nil
	}
	if err != nil {
		return adapters.Receipt{}, false, fmt.Errorf("markdown: %w", err)
	}
	if !strings.Contains(string(post), p.Marker()) {
		return adapters.Receipt{}, false, nil
	}
	r := adapters.Receipt{ID: dir}
	for _, f := range append(files[1:], files[0]) {
		if _, err := os.Stat(filepath.Join(dir, f.name)); err == nil {
			r.Files = append(r.Files, filepath.Join(dir, f.name))
		}
	}
	return r, true, nil
}
