package io.latefuse.training;

/**
 * A data file that cannot be read or written as asked: missing, of another format, or with a bad line. The message
 * names the file (and the line or record) and says what was expected; the command line prints it alone, with exit
 * code 2.
 */
public class DataFileException extends IllegalArgumentException {
    public DataFileException(String message) {
        super(message);
    }

    public DataFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
