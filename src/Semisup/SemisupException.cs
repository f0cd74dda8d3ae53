namespace Semisup;

/// <summary>A failure the user can act on: the message names the file or value and says what to do.
/// The CLI prints it alone on stderr (no stack trace) and exits non-zero.</summary>
public class SemisupException(string message, Exception? inner = null) : Exception(message, inner);
