package io.latefuse.config;

import java.util.List;

/** A config that failed validation. The message lists every problem, each naming the key and the bad value. */
public class InvalidConfigException extends RuntimeException {
    private final List<String> problems;

    public InvalidConfigException(String source, List<String> problems) {
        super("Invalid config " + source + ":\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
