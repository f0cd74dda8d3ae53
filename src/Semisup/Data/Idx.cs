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

    public static IdxArray Read(string path) => Parse(ReadContent(path), path);

    /// <summary>The file's IDX bytes, decompressed when it starts with the gzip magic. Decompression grows its
    /// buffer only as data arrives and stops past <paramref name="maxBytes"/>, so neither a lying header nor a
    /// gzip bomb can make it allocate more than that.</summary>
    public static byte[] ReadContent(string path, long maxBytes = MaxElements + 64)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SemisupException($"{path}: file not found.", e);
        }
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return bytes;
        try
        {
            using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            var output = new MemoryStream();
            var buffer = new byte[1 << 16];
            for (int n; (n = gz.Read(buffer)) > 0;)
            {
                if (output.Length + n > maxBytes) throw Bad(path, $"decompresses to more than {maxBytes:N0} bytes");
                output.Write(buffer, 0, n);
            }
            // GZipStream ends quietly on a truncated stream; the trailer's size field (length mod 2^32) tells.
            if (bytes.Length < 18 || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)) != (uint)output.Length)
                throw new InvalidDataException("truncated or corrupt: its trailer does not match the data");
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new SemisupException($"{path}: not a valid gzip file ({e.Message}). If `semisup data fetch` wrote it, delete it and fetch it again.", e);
        }
    }

    /// <summary>Parses IDX bytes: magic, element type, dimension count, plausible dimensions, and a data length
    /// that matches the header exactly.</summary>
    public static IdxArray Parse(byte[] bytes, string name)
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
        if (found < count)
            throw Bad(name, $"file is truncated: header declares {count:N0} bytes of data ({string.Join("x", shape)}), the file holds {found:N0}");
        if (found > count)
            throw Bad(name, $"file holds {found:N0} bytes of data but its header declares {count:N0} ({string.Join("x", shape)})");
        return new IdxArray(shape, bytes[headerBytes..]);
    }

    static SemisupException Bad(string name, string why) =>
        new($"{name}: {why}. If `semisup data fetch` wrote it, delete it and fetch it again.");
}
