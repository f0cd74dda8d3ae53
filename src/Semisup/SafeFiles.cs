using System.Runtime.InteropServices;

namespace Semisup;

/// <summary>File writes that leave the previous file whole, whatever happens while they run; and the check every file
/// read goes through first, so a FIFO or a device is refused instead of blocking or reading forever.</summary>
public static class SafeFiles
{
    /// <summary>Refuses <paramref name="path"/> unless it is a regular file (following links): a directory, a FIFO (whose
    /// open blocks until a writer comes, and then SIGTERM no longer stops the process), a socket, a device, or a file
    /// under /dev or /proc, with a one-line reason that asks for <paramref name="what"/>. A missing path passes: the
    /// caller's open names it as it does any missing file.</summary>
    public static void RequireRegular(string path, string what)
    {
        if (NotRegular(path) is { } reason) throw new SemisupException($"{path}: {reason}; give {what}.");
    }

    /// <summary>Why <paramref name="path"/> is not a regular file (<see cref="RequireRegular"/>), or null if it is one or
    /// does not exist.</summary>
    public static string? NotRegular(string path)
    {
        if (Directory.Exists(path)) return "is a directory";
        if (!File.Exists(path)) return null;
        var target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
        if (target.StartsWith("/dev/", StringComparison.Ordinal) || target.StartsWith("/proc/", StringComparison.Ordinal))
            return $"not a regular file ({target})";
        return FileType(path) switch
        {
            null or S_IFREG => null,
            S_IFIFO => "not a regular file (a FIFO, which would wait for a writer forever)",
            S_IFCHR or S_IFBLK => "not a regular file (a device)",
            S_IFSOCK => "not a regular file (a socket)",
            _ => "not a regular file",
        };
    }

    const int S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFBLK = 0x6000, S_IFSOCK = 0xC000;

    /// <summary>The file-type bits of the path's mode (links followed), by statx, whose buffer has the same layout on
    /// every Linux architecture (.NET reports no file type); null where statx is unavailable.</summary>
    static int? FileType(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        const int AtCurrentDirectory = -100, StatxType = 1, ModeOffset = 28;
        var buffer = new byte[256];
        try
        {
            if (Statx(AtCurrentDirectory, path, 0, StatxType, buffer) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
        return BitConverter.ToUInt16(buffer, ModeOffset) & S_IFMT;
    }

    [DllImport("libc.so.6", EntryPoint = "statx", SetLastError = true)]
    static extern int Statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

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
