package composetest

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/concierge-pm/concierge/config"
)

// composeFile is the part of docker-compose.yml the tests read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image         string            `yaml:"image"`
	ContainerName string            `yaml:"container_name"`
	Command       []string          `yaml:"command"`
	Environment   map[string]string `yaml:"environment"`
	Ports         []string          `yaml:"ports"`
	Volumes       []string          `yaml:"volumes"`
	Restart       string            `yaml:"restart"`
	Healthcheck   *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

func readCompose(t *testing.T) (composeFile, string) {
	t.Helper()
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return f, string(raw)
}

// readmeSection is the README's "Production with Docker Compose" section.
func readmeSection(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	start := strings.Index(text, "\n## Production with Docker Compose\n")
	if start < 0 {
		t.Fatal(`README has no "## Production with Docker Compose" section`)
	}
	section := text[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	return section
}

// readmeTable answers the rows of the section's table whose first column
// is named first, each as its cells with backticks removed.
func readmeTable(t *testing.T, section, first string) [][]string {
	t.Helper()
	var rows [][]string
	in := false
	for line := range strings.SplitSeq(section, "\n") {
		if !strings.HasPrefix(line, "| ") {
			in = false
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case cells[0] == first:
			in = true
		case in && !strings.HasPrefix(cells[0], "---"):
			rows = append(rows, cells)
		}
	}
	if len(rows) == 0 {
		t.Fatalf("README's Docker Compose section has no table whose first column is %q", first)
	}
	return rows
}

var (
	codeRE   = regexp.MustCompile("`([^`]*)`")
	interpRE = regexp.MustCompile(`\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}`)
)

// codes answers the `code` spans of a README cell.
func codes(cell string) []string {
	var out []string
	for _, m := range codeRE.FindAllStringSubmatch(cell, -1) {
		out = append(out, m[1])
	}
	return out
}

// conditions is how the README says what a service waits for.
var conditions = map[string]string{
	"healthy":   "service_healthy",
	"completed": "service_completed_successfully",
	"started":   "service_started",
}

// TestComposeServicesMatchREADME: the README's table of services lists
// each service of docker-compose.yml once, with its image and the variable
// that overrides it, what it waits for and its health check.
func TestComposeServicesMatchREADME(t *testing.T) {
	f, _ := readCompose(t)
	rows := readmeTable(t, readmeSection(t), "service")
	seen := map[string]bool{}
	for _, r := range rows {
		if len(r) != 5 {
			t.Fatalf("services table row with %d cells, want 5 (service, image, waits for, health check, role): %v", len(r), r)
		}
		name := strings.Trim(r[0], "`")
		seen[name] = true
		s, ok := f.Services[name]
		if !ok {
			t.Errorf("README lists service %s, which docker-compose.yml lacks", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			// image: `default` (`VARIABLE`)
			if img := codes(r[1]); len(img) != 2 || s.Image != "${"+img[1]+":-"+img[0]+"}" {
				t.Errorf("image %q; README says %s", s.Image, r[1])
			}
			want := map[string]string{}
			if r[2] != "—" {
				for part := range strings.SplitSeq(r[2], ", ") {
					fields := strings.Fields(part)
					if len(fields) != 2 || conditions[fields[1]] == "" {
						t.Fatalf("waits for %q: want `service` healthy|completed|started, comma-separated", part)
					}
					want[strings.Trim(fields[0], "`")] = conditions[fields[1]]
				}
			}
			got := map[string]string{}
			for dep, c := range s.DependsOn {
				got[dep] = c.Condition
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("depends_on %v; README says %v", got, want)
			}
			var check string
			if s.Healthcheck != nil && len(s.Healthcheck.Test) > 1 {
				check = strings.Join(s.Healthcheck.Test[1:], " ")
			}
			if doc := codes(r[3]); (check == "") != (r[3] == "—") || (check != "" && (len(doc) != 1 || doc[0] != check)) {
				t.Errorf("health check %q; README says %s", check, r[3])
			}
		})
	}
	for name := range f.Services {
		if !seen[name] {
			t.Errorf("service %s of docker-compose.yml is missing from the README's table", name)
		}
	}
}

// TestComposeVariablesMatchREADME: every variable docker-compose.yml reads
// is in the README's table with its default (or "required"), and every
// variable there is read.
func TestComposeVariablesMatchREADME(t *testing.T) {
	_, raw := readCompose(t)
	used := map[string]string{}
	for _, m := range interpRE.FindAllStringSubmatch(raw, -1) {
		def := m[3]
		if strings.HasSuffix(m[2], "?") {
			def = "required"
		}
		if prev, ok := used[m[1]]; ok && prev != def {
			t.Errorf("docker-compose.yml gives %s two defaults: %q and %q", m[1], prev, def)
		}
		used[m[1]] = def
	}
	documented := map[string]bool{}
	for _, r := range readmeTable(t, readmeSection(t), "variable") {
		if len(r) != 3 {
			t.Fatalf("variables table row with %d cells, want 3 (variable, default, meaning): %v", len(r), r)
		}
		name := strings.Trim(r[0], "`")
		documented[name] = true
		def, ok := used[name]
		if !ok {
			t.Errorf("README lists %s, which docker-compose.yml does not read", name)
			continue
		}
		doc := strings.Trim(r[1], "`")
		if r[1] == "—" {
			doc = ""
		}
		if doc != def {
			t.Errorf("README gives %s the default %q, docker-compose.yml %q", name, doc, def)
		}
	}
	for name := range used {
		if !documented[name] {
			t.Errorf("docker-compose.yml reads %s, which the README's table lacks", name)
		}
	}
}

// TestComposeTopology checks what the README promises of the topology
// beyond the tables: Concierge's processes get only settings Concierge
// has, with the payload keys required; api and worker scale; nothing is
// published beyond loopback; the Web UI only reads and decodes through
// Concierge's codec endpoint; PostgreSQL keeps its data in a volume.
func TestComposeTopology(t *testing.T) {
	f, _ := readCompose(t)
	settings := map[string]bool{}
	for _, d := range config.Docs() {
		if d.Env != "" {
			settings[d.Env] = true
		}
	}
	wantCommand := map[string]string{"migrate": "migrate", "temporal-setup": "temporal-setup", "api": "api", "worker": "worker"}
	for name, s := range f.Services {
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s publishes %s beyond loopback", name, p)
			}
		}
		if cmd, ok := wantCommand[name]; ok {
			if !slices.Equal(s.Command, []string{cmd}) {
				t.Errorf("%s runs %v, want concierge %s", name, s.Command, cmd)
			}
			if !strings.HasPrefix(s.Image, "${CONCIERGE_IMAGE:-") {
				t.Errorf("%s runs image %s, want Concierge's", name, s.Image)
			}
			for k := range s.Environment {
				if !settings[k] && k != "TEMPORAL_ADDRESS" {
					t.Errorf("%s sets %s, which is no Concierge setting (README Configuration)", name, k)
				}
			}
			if !strings.Contains(s.Environment["CONCIERGE_PAYLOAD_KEYS"], ":?") {
				t.Errorf("%s does not require CONCIERGE_PAYLOAD_KEYS: %q", name, s.Environment["CONCIERGE_PAYLOAD_KEYS"])
			}
		}
	}
	for _, name := range []string{"api", "worker"} {
		s := f.Services[name]
		if s.ContainerName != "" {
			t.Errorf("%s has container_name %s, so it cannot scale", name, s.ContainerName)
		}
		if s.Restart != "unless-stopped" {
			t.Errorf("%s restarts %q, want unless-stopped", name, s.Restart)
		}
	}
	if p := f.Services["api"].Ports; len(p) != 1 || !strings.Contains(p[0], "CONCIERGE_API_PORTS") {
		t.Errorf("api publishes %v; want one port per replica from CONCIERGE_API_PORTS", p)
	}
	ui := f.Services["temporal-ui"].Environment
	for _, k := range []string{"TEMPORAL_DISABLE_WRITE_ACTIONS", "TEMPORAL_WORKFLOW_TERMINATE_DISABLED", "TEMPORAL_WORKFLOW_CANCEL_DISABLED",
		"TEMPORAL_WORKFLOW_SIGNAL_DISABLED", "TEMPORAL_WORKFLOW_UPDATE_DISABLED", "TEMPORAL_WORKFLOW_RESET_DISABLED",
		"TEMPORAL_BATCH_ACTIONS_DISABLED", "TEMPORAL_START_WORKFLOW_DISABLED", "TEMPORAL_CODEC_INCLUDE_CREDENTIALS"} {
		if ui[k] != "true" {
			t.Errorf("temporal-ui: %s=%q, want true", k, ui[k])
		}
	}
	if !strings.HasSuffix(strings.TrimSuffix(ui["TEMPORAL_CODEC_ENDPOINT"], "}"), "/codec") {
		t.Errorf("temporal-ui: TEMPORAL_CODEC_ENDPOINT=%q, want Concierge's /codec", ui["TEMPORAL_CODEC_ENDPOINT"])
	}
	if !slices.ContainsFunc(f.Services["postgres"].Volumes, func(v string) bool { return strings.HasSuffix(v, ":/var/lib/postgresql/data") }) {
		t.Errorf("postgres keeps its data in no volume: %v", f.Services["postgres"].Volumes)
	}
}
