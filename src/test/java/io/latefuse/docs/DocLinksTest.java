package io.latefuse.docs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every relative link and image in README.md and docs/**&#47;*.md leads to a file that exists, and every anchor to a
 * heading of its target, by GitHub's slug rules. Links in code (fenced blocks, inline code) and absolute URLs are not
 * checked.
 */
class DocLinksTest {
    private static final Pattern LINK = Pattern.compile("!?\\[((?:[^\\[\\]]|\\[[^\\[\\]]*\\])*)\\]\\(\\s*<?([^)\\s>]*)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    private static final Pattern HEADING = Pattern.compile("^ {0,3}(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern FENCE = Pattern.compile("^ {0,3}(`{3,}|~{3,}).*$");

    @Test
    void everyLinkInTheDocsLeadsSomewhere() throws IOException {
        Path repo = Path.of("").toAbsolutePath();
        assertThat(problems(repo, docs(repo))).as("broken links in the docs").isEmpty();
    }

    /** README.md and every Markdown file under docs/. */
    static List<Path> docs(Path repo) throws IOException {
        List<Path> files = new ArrayList<>(List.of(repo.resolve("README.md")));
        try (Stream<Path> walk = Files.walk(repo.resolve("docs"))) {
            walk.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        return files;
    }

    /** Each broken link as {@code file:line: link: why}, paths relative to {@code repo}. */
    static List<String> problems(Path repo, List<Path> files) throws IOException {
        Map<Path, Set<String>> anchors = new HashMap<>();
        List<String> out = new ArrayList<>();
        for (Path file : files) {
            List<String> lines = proseLines(Files.readString(file));
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = LINK.matcher(lines.get(i));
                while (m.find()) {
                    String link = m.group(2);
                    String why = check(file, link, anchors);
                    if (why != null) {
                        out.add(repo.relativize(file) + ":" + (i + 1) + ": " + link + ": " + why);
                    }
                }
            }
        }
        return out;
    }

    private static String check(Path file, String link, Map<Path, Set<String>> anchors) throws IOException {
        if (link.isEmpty() || link.matches("(?i)[a-z][a-z0-9+.-]*:.*")) {
            return link.isEmpty() ? "empty link" : null; // http:, https:, mailto:...: not checked
        }
        int hash = link.indexOf('#');
        String path = URLDecoder.decode(hash >= 0 ? link.substring(0, hash) : link, StandardCharsets.UTF_8);
        String anchor = hash >= 0 ? URLDecoder.decode(link.substring(hash + 1), StandardCharsets.UTF_8) : null;
        Path target = path.isEmpty() ? file : file.getParent().resolve(path).normalize();
        if (!Files.exists(target)) {
            return "no such file: " + target;
        }
        if (anchor == null) {
            return null;
        }
        if (!target.toString().endsWith(".md")) {
            return Files.isDirectory(target) ? "an anchor into a directory" : null;
        }
        Set<String> slugs = anchors.computeIfAbsent(target, t -> {
            try {
                return headingSlugs(Files.readString(t));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return slugs.contains(anchor) ? null : "no heading #" + anchor + " in " + target.getFileName();
    }

    /**
     * The lines of a Markdown text with code blanked out: fenced blocks become empty lines and inline code spans
     * spaces, so that line numbers stay true.
     */
    static List<String> proseLines(String markdown) {
        List<String> out = new ArrayList<>();
        String fence = null;
        for (String line : markdown.split("\n", -1)) {
            Matcher f = FENCE.matcher(line);
            if (fence == null && f.matches()) {
                fence = f.group(1);
                out.add("");
            } else if (fence != null) {
                if (line.strip().startsWith(fence) && line.strip().replace(String.valueOf(fence.charAt(0)), "").isEmpty()) {
                    fence = null;
                }
                out.add("");
            } else {
                out.add(withoutCodeSpans(line));
            }
        }
        return out;
    }

    private static String withoutCodeSpans(String line) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < line.length()) {
            if (line.charAt(i) != '`') {
                out.append(line.charAt(i++));
                continue;
            }
            int run = 0;
            while (i + run < line.length() && line.charAt(i + run) == '`') {
                run++;
            }
            String ticks = "`".repeat(run);
            int close = line.indexOf(ticks, i + run);
            while (close >= 0 && close + run < line.length() && line.charAt(close + run) == '`') {
                close = line.indexOf(ticks, close + run + 1);
            }
            if (close < 0) {
                out.append(ticks);
                i += run;
            } else {
                out.append(" ".repeat(close + run - i));
                i = close + run;
            }
        }
        return out.toString();
    }

    /** The anchors GitHub gives the headings of a Markdown text, outside fenced code, duplicates numbered. */
    static Set<String> headingSlugs(String markdown) {
        Set<String> out = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        String fence = null;
        for (String line : markdown.split("\n", -1)) {
            Matcher f = FENCE.matcher(line);
            if (fence == null && f.matches()) {
                fence = f.group(1);
                continue;
            }
            if (fence != null) {
                if (line.strip().startsWith(fence) && line.strip().replace(String.valueOf(fence.charAt(0)), "").isEmpty()) {
                    fence = null;
                }
                continue;
            }
            Matcher h = HEADING.matcher(line);
            if (h.matches()) {
                String slug = slug(h.group(2));
                int n = seen.merge(slug, 1, Integer::sum) - 1;
                out.add(n == 0 ? slug : slug + "-" + n);
            }
        }
        return out;
    }

    /**
     * GitHub's anchor for a heading: its text (links as their text), lowercased; every character that is not a
     * letter, a digit, a space, a hyphen or an underscore removed; spaces to hyphens.
     */
    static String slug(String heading) {
        String text = heading.replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1").replaceAll("<[^>]+>", "");
        StringBuilder out = new StringBuilder();
        text.toLowerCase(java.util.Locale.ROOT).codePoints().forEach(c -> {
            if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
                out.appendCodePoint(c);
            } else if (c == ' ') {
                out.append('-');
            }
        });
        return out.toString();
    }

    @Test
    void slugsAreGitHubs() {
        assertThat(slug("What comes out")).isEqualTo("what-comes-out");
        assertThat(slug("End to end: `latefuse bench`")).isEqualTo("end-to-end-latefuse-bench");
        assertThat(slug("Recovery after kill -9 (2026-12-05, issue 28)")).isEqualTo("recovery-after-kill--9-2026-12-05-issue-28");
        assertThat(slug("Choosing max.wait from data")).isEqualTo("choosing-maxwait-from-data");
        assertThat(slug("Memory: 1,000,000 pending events")).isEqualTo("memory-1000000-pending-events");
        assertThat(slug("Training a fusion head, and evaluating")).isEqualTo("training-a-fusion-head-and-evaluating");
        assertThat(slug("snake_case and **bold**")).isEqualTo("snake_case-and-bold");
        assertThat(slug("See [the design](DESIGN.md)")).isEqualTo("see-the-design");
        assertThat(slug("Café & crème")).isEqualTo("café--crème");
        assertThat(headingSlugs("# A\n## A\n```\n# A\n```\n### A\n")).containsExactly("a", "a-1", "a-2");
    }

    @Test
    void aBrokenLinkIsReportedWithItsFileAndLine(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("docs"));
        Files.writeString(dir.resolve("docs/guide.md"), "# Guide\n\n## Two words\n");
        Files.writeString(dir.resolve("README.md"), String.join("\n",
                "# Title",
                "[ok](docs/guide.md#two-words) and [self](#title) and [web](https://example.com/x#y)",
                "[gone](docs/missing.md)",
                "![picture](docs/images/none.png)",
                "[bad anchor](docs/guide.md#three-words)",
                "`[in code](nowhere.md)`",
                "```",
                "[in a block](nowhere.md)",
                "```",
                "[bad self](#nothing)",
                ""));
        assertThat(problems(dir, docs(dir))).containsExactly(
                "README.md:3: docs/missing.md: no such file: " + dir.resolve("docs/missing.md"),
                "README.md:4: docs/images/none.png: no such file: " + dir.resolve("docs/images/none.png"),
                "README.md:5: docs/guide.md#three-words: no heading #three-words in guide.md",
                "README.md:10: #nothing: no heading #nothing in README.md");
    }
}
