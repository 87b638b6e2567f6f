package io.latefuse.config;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import org.yaml.snakeyaml.LoaderOptions;

import java.io.CharArrayReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The YAML a config is read with, so that it reads as the file says. Jackson's YAML parser (SnakeYAML's YAML 1.1
 * events, typed by Jackson) reads three things otherwise, and this one does not:
 * <ul>
 *   <li>an alias ({@code *app}) is read as the anchor's <em>name</em> ({@code "app"}), not its value: Jackson does
 *       not expand aliases. An alias is refused, naming its key and line; an anchor nothing refers to is harmless
 *       and reads as written;</li>
 *   <li>an integer with a leading zero ({@code 0500}) is YAML 1.1 octal (320), while {@code 08} stays text. It is
 *       read as the text written, as the {@code LATEFUSE_*} variables are: as a duration {@code 0500} is 500 ms, as a
 *       name or password it keeps its zero, and a key that takes a number (a weight) refuses it;</li>
 *   <li>{@code yes}, {@code no}, {@code on} and {@code off} (any case) are YAML 1.1 booleans: {@code classes: [yes,
 *       no]} named the classes "true" and "false", a modality named {@code no} "false". As in YAML 1.2, only
 *       {@code true} and {@code false} are, and the rest are words; a key that takes true or false refuses them.</li>
 * </ul>
 * A config is one document: a second one after {@code ---}, which a tree read would silently drop, is refused by
 * {@link #read}.
 */
final class ConfigYaml {
    private ConfigYaml() {}

    /** A YAML construct latefuse refuses rather than reads otherwise than written; where, and why. */
    static final class RefusedYamlException extends JsonParseException {
        private final String key;
        private final int line;
        private final String reason;

        RefusedYamlException(JsonParser p, String key, int line, String reason) {
            super(p, describe(key, line, reason));
            this.key = key;
            this.line = line;
            this.reason = reason;
        }

        /** The key, as the loader names keys ({@code kafka.client.id}, {@code modalities[1].weight}); empty at the top. */
        String key() {
            return key;
        }

        int line() {
            return line;
        }

        String reason() {
            return reason;
        }

        /** The key, the line and the reason, on one line. */
        String describe() {
            return describe(key, line, reason);
        }

        private static String describe(String key, int line, String reason) {
            return (key.isEmpty() ? "line " + line : key + " (line " + line + ")") + ": " + reason;
        }
    }

    /** A mapper whose parsers read YAML as the file says; its generator is Jackson's own. */
    static ObjectMapper mapper() {
        return new ObjectMapper(new Factory());
    }

    /**
     * The one document of {@code yaml}; null when it has none.
     *
     * @throws RefusedYamlException for an alias, or a second document
     * @throws IOException          when it is not YAML
     */
    static JsonNode read(ObjectMapper mapper, String yaml) throws IOException {
        try (JsonParser p = mapper.createParser(yaml)) {
            JsonNode root = mapper.readTree(p);
            JsonToken next = p.nextToken();
            while (next == JsonToken.VALUE_NULL) {
                next = p.nextToken(); // an empty document, as a trailing "---" makes, holds nothing to drop
            }
            if (next != null) {
                throw new RefusedYamlException(p, "", p.currentTokenLocation().getLineNr(), "a second YAML document "
                        + "starts here; a config is one YAML document: put every key in the first");
            }
            return root;
        }
    }

    /** The key the parser is at, as the loader names keys: names joined by dots, list positions in brackets. */
    static String keyOf(JsonStreamContext context) {
        Deque<String> parts = new ArrayDeque<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray() && c.getCurrentIndex() >= 0) {
                parts.push("[" + c.getCurrentIndex() + "]");
            } else if (c.inObject() && c.getCurrentName() != null) {
                parts.push("." + c.getCurrentName());
            }
        }
        String key = String.join("", parts);
        return key.startsWith(".") ? key.substring(1) : key;
    }

    private static final class Factory extends YAMLFactory {
        private static final long serialVersionUID = 1L;

        Factory() {
            super();
        }

        private Factory(Factory src) {
            super(src, null);
        }

        @Override
        public YAMLFactory copy() {
            return new Factory(this);
        }

        @Override
        protected YAMLParser _createParser(Reader r, IOContext ctxt) {
            return new Parser(ctxt, _parserFeatures, _yamlParserFeatures, _loaderOptions, _objectCodec, r);
        }

        @Override
        protected YAMLParser _createParser(char[] data, int offset, int len, IOContext ctxt, boolean recyclable) {
            return _createParser(new CharArrayReader(data, offset, len), ctxt);
        }

        @Override
        protected YAMLParser _createParser(InputStream in, IOContext ctxt) throws IOException {
            return _createParser(_createReader(in, null, ctxt), ctxt);
        }

        @Override
        protected YAMLParser _createParser(byte[] data, int offset, int len, IOContext ctxt) throws IOException {
            return _createParser(_createReader(data, offset, len, null, ctxt), ctxt);
        }
    }

    private static final class Parser extends YAMLParser {
        Parser(IOContext ctxt, int parserFeatures, int yamlFeatures, LoaderOptions options, ObjectCodec codec, Reader r) {
            // Only true and false are booleans, as in YAML 1.2 (Jackson's own switch for it).
            super(ctxt, parserFeatures, yamlFeatures | YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS.getMask(),
                    options, codec, r);
        }

        @Override
        public JsonToken nextToken() throws IOException {
            JsonToken t = super.nextToken();
            if (t != null && isCurrentAlias()) {
                String anchor = getText();
                throw new RefusedYamlException(this, keyOf(getParsingContext()), currentTokenLocation().getLineNr(),
                        "*" + anchor + " is a YAML alias, which latefuse does not expand (it would read the anchor's "
                                + "name, '" + anchor + "', not its value): write the value out");
            }
            return t;
        }

        /**
         * Called for a plain integer with a leading zero ({@code 0500}, {@code -007}, {@code 0_5}), which YAML 1.1
         * reads as octal: it is the text written instead, as {@code 08} already is.
         */
        @Override
        protected JsonToken _decodeNumberIntOctal(String value, int i, int len, boolean negative) {
            return JsonToken.VALUE_STRING;
        }
    }
}
