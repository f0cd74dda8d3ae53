using System.Buffers.Binary;
using System.IO.Compression;

namespace Semisup.Data;

/// <summary>An IDX array of unsigned bytes (the format of MNIST and Fashion-MNIST): shape and row-major data.</summary>
public sealed record IdxArray(int[] Shape, byte[] Data)
{
    public int Count => Shape[0];
}

/// <summary>Reads IDX files, raw or gzip-compressed, checking the header before trusting it.</summary>
public static class Idx
{
    /// <summary>No dataset Semisup reads comes near this; a header beyond it is lying or not ours.</summary>
    public const long MaxElements = 1L << 30;

    static readonly Dictionary<byte, string> ElementTypes = new()
    {
        [0x08] = "unsigned byte", [0x09] = "signed byte", [0x0B] = "int16", [0x0C] = "int32", [0x0D] = "float32", [0x0E] = "float64",
    };

    /// <param name="maxItems">Read only the first this many items (images, labels) and nothing after them.</param>
    public static IdxArray Read(string path, int? maxItems = null)
    {
        var bytes = ReadContent(path, maxItems: maxItems);
        var idx = Parse(bytes, path, partial: maxItems != null);
        // A file cut at an item boundary parses as fewer whole items: say so, as for a file cut inside one.
        long declared = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4));
        if (maxItems is int n && idx.Count < Math.Min(n, declared))
            throw Bad(path, $"file is truncated: its header declares {declared:N0} items, the file holds {idx.Count:N0}");
        return idx;
    }

    /// <summary>The file's IDX bytes, decompressed when it starts with the gzip magic. Nothing is read past what the
    /// header declares (or <paramref name="maxItems"/> of it) and <paramref name="maxBytes"/>: neither a lying header,
    /// a gzip bomb, a huge file nor a device such as /dev/zero can make it read or allocate more.</summary>
    public static byte[] ReadContent(string path, long maxBytes = MaxElements + 64, int? maxItems = null)
    {
        using var file = OpenRegular(path);
        bool gzip = file.Length >= 2 && file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        if (!gzip)
        {
            if (file.Length > maxBytes && maxItems == null) throw Bad(path, $"{file.Length:N0} bytes is more than such a file can hold ({maxBytes:N0})");
            return ReadBounded(file, path, maxBytes, maxItems, strictEnd: maxItems == null, out _);
        }
        uint trailer;
        try
        {
            // GZipStream ends quietly on a truncated stream; the trailer's size field (length mod 2^32) tells.
            if (file.Length < 18) throw new InvalidDataException("truncated or corrupt: shorter than a gzip header and trailer");
            file.Position = file.Length - 4;
            Span<byte> size = stackalloc byte[4];
            file.ReadExactly(size);
            trailer = BinaryPrimitives.ReadUInt32LittleEndian(size);
            file.Position = 0;
            using var gz = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
            var bytes = ReadBounded(gz, path, maxBytes, maxItems, strictEnd: maxItems == null, out bool whole);
            if (whole && trailer != (uint)bytes.Length) throw new InvalidDataException("truncated or corrupt: its trailer does not match the data");
            return bytes;
        }
        catch (InvalidDataException e)
        {
            throw new SemisupException($"{path}: not a valid gzip file ({e.Message}). If `semisup data fetch` wrote it, delete it and fetch it again.", e);
        }
    }

    /// <summary>A regular file, opened for reading; a device, a pipe or a directory is refused by name.</summary>
    static FileStream OpenRegular(string path)
    {
        if (Directory.Exists(path)) throw new SemisupException($"{path}: is a directory, not an IDX file.");
        CheckRegular(path, "an IDX file");
        FileStream file;
        try { file = File.OpenRead(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new SemisupException($"{path}: cannot read it ({e.Message}).", e); }
        if (!file.CanSeek)
        {
            file.Dispose();
            throw new SemisupException($"{path}: not a regular file; give an IDX file.");
        }
        return file;
    }

    /// <summary>Refuses a path that is missing or is not a regular file: a FIFO, a device or a process file (/dev/zero
    /// reads forever), naming it (<see cref="SafeFiles.RequireRegular"/>).</summary>
    public static void CheckRegular(string path, string what)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) throw new SemisupException($"{path}: file not found.");
        SafeFiles.RequireRegular(path, what);
    }

    /// <summary>The header, then exactly the data it declares (or its first <paramref name="maxItems"/> items), read in
    /// chunks from <paramref name="source"/>; with <paramref name="strictEnd"/>, more data after it is an error.</summary>
    /// <param name="whole">Whether everything the source holds was read (so a gzip trailer's size can be checked).</param>
    static byte[] ReadBounded(Stream source, string path, long maxBytes, int? maxItems, bool strictEnd, out bool whole)
    {
        whole = false;
        var head = new byte[4];
        int got = source.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        whole = got < 4;
        if (got < 4) return head[..got]; // Parse says what is wrong with a short file
        // Only a header Parse will accept is followed: anything else is refused on its first bytes.
        int rank = head[3] is >= 1 and <= 4 && head[0] == 0 && head[1] == 0 && head[2] == 0x08 ? head[3] : 0;
        var dims = new byte[4 * rank];
        got = source.ReadAtLeast(dims, dims.Length, throwOnEndOfStream: false);
        if (rank == 0 || got < dims.Length) return [.. head, .. dims[..got]]; // Parse names the problem
        long count = 1, item = 1;
        for (int i = 0; i < rank; i++)
        {
            long d = BinaryPrimitives.ReadUInt32BigEndian(dims.AsSpan(4 * i));
            count = Math.Min(count * Math.Max(d, 1), MaxElements + 1);
            if (i > 0) item = Math.Min(item * Math.Max(d, 1), MaxElements + 1);
        }
        if (maxItems is int n) count = Math.Min(count, item * n);
        long want = Math.Min(count, maxBytes - head.Length - dims.Length);
        if (want < 0 || count > MaxElements) return [.. head, .. dims]; // Parse refuses the header
        var data = new byte[want];
        got = source.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (got == want && want < count) throw Bad(path, $"decompresses to more than {maxBytes:N0} bytes");
        if (strictEnd && got == want && source.ReadByte() >= 0)
            throw Bad(path, $"holds {got + 1:N0} or more bytes of data but its header declares {count:N0} ({string.Join("x", Enumerable.Range(0, rank).Select(i => BinaryPrimitives.ReadUInt32BigEndian(dims.AsSpan(4 * i))))})");
        whole = strictEnd;
        return [.. head, .. dims, .. data[..got]];
    }

    /// <summary>The SHA-256 of the file's IDX content, read in chunks (never the whole file at once); a content longer
    /// than <paramref name="maxBytes"/> is refused with the file's name.</summary>
    public static string Sha256(string path, long maxBytes)
    {
        using var file = OpenRegular(path);
        bool gzip = file.Length >= 2 && file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        try
        {
            using var content = gzip ? (Stream)new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 16];
            long total = 0;
            for (int n; (n = content.Read(buffer)) > 0;)
            {
                if ((total += n) > maxBytes) throw Bad(path, $"holds more than the {maxBytes:N0} bytes of the dataset's file");
                hash.AppendData(buffer, 0, n);
            }
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        catch (InvalidDataException e)
        {
            throw new SemisupException($"{path}: not a valid gzip file ({e.Message}). If `semisup data fetch` wrote it, delete it and fetch it again.", e);
        }
    }

    /// <summary>Parses IDX bytes: magic, element type, dimension count, plausible dimensions, and a data length
    /// that matches the header exactly.</summary>
    /// <param name="partial">The bytes hold only the first items the header declares (<see cref="Read"/>'s maxItems).</param>
    public static IdxArray Parse(byte[] bytes, string name, bool partial = false)
    {
        if (bytes.Length < 4) throw Bad(name, "file is shorter than an IDX header (4 bytes)");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw Bad(name, $"wrong magic 0x{bytes[0]:x2}{bytes[1]:x2}, expected 0x0000: this is not an IDX file");
        if (!ElementTypes.TryGetValue(bytes[2], out var type)) throw Bad(name, $"unknown element type 0x{bytes[2]:x2}");
        if (bytes[2] != 0x08) throw Bad(name, $"element type is {type} (0x{bytes[2]:x2}); Semisup reads unsigned-byte IDX files only");
        int rank = bytes[3];
        if (rank is < 1 or > 4) throw Bad(name, $"{rank} dimensions; image and label files have 1 to 4");
        int headerBytes = 4 + 4 * rank;
        if (bytes.Length < headerBytes) throw Bad(name, $"file ends inside the header ({rank} dimensions declared)");

        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (d == 0) throw Bad(name, $"dimension {i} is 0");
            shape[i] = (int)Math.Min(d, int.MaxValue);
            count *= d;
            if (count > MaxElements)
                throw Bad(name, $"header declares more than {MaxElements:N0} elements (dimension {i} is {d:N0}); it is corrupt or not a dataset file");
        }
        long found = bytes.Length - headerBytes;
        if (partial)
        {
            long item = count / shape[0];
            if (found == 0 || found % item != 0) throw Bad(name, $"file is truncated inside its first images");
            shape[0] = (int)(found / item);
            return new IdxArray(shape, bytes[headerBytes..]);
        }
        if (found < count)
            throw Bad(name, $"file is truncated: header declares {count:N0} bytes of data ({string.Join("x", shape)}), the file holds {found:N0}");
        if (found > count)
            throw Bad(name, $"file holds {found:N0} bytes of data but its header declares {count:N0} ({string.Join("x", shape)})");
        return new IdxArray(shape, bytes[headerBytes..]);
    }

    static SemisupException Bad(string name, string why) =>
        new($"{name}: {why}. If `semisup data fetch` wrote it, delete it and fetch it again.");
}
