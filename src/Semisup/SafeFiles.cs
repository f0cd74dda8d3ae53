namespace Semisup;

/// <summary>File writes that leave the previous file whole, whatever happens while they run.</summary>
public static class SafeFiles
{
    /// <summary>Calls <paramref name="write"/> with a temporary path beside <paramref name="path"/>, flushes what it wrote
    /// to disk, then renames it over <paramref name="path"/>: a kill or a full disk leaves the previous file as it was
    /// (and a failed write no temporary file).</summary>
    public static void WriteAtomically(string path, Action<string> write)
    {
        var temp = path + ".tmp";
        try
        {
            write(temp);
            // fsync through a new handle reaches the data the writer left in the page cache.
            using (var file = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite)) file.Flush(flushToDisk: true);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
    }
}
