using System.Buffers.Binary;
using System.IO.Compression;
using Semisup.Data;

namespace Semisup.Tests.Data;

public class IdxTests
{
    internal static byte[] Idx(byte type, int[] shape, byte[] data)
    {
        var b = new byte[4 + 4 * shape.Length + data.Length];
        b[2] = type; b[3] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), shape[i]);
        data.CopyTo(b, 4 + 4 * shape.Length);
        return b;
    }

    internal static byte[] Gzip(byte[] raw)
    {
        var m = new MemoryStream();
        using (var gz = new GZipStream(m, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return m.ToArray();
    }

    static readonly byte[] Images = Idx(0x08, [2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);

    [Fact]
    public void Reads_raw_and_gzip_files_alike()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["raw"], Images);
        File.WriteAllBytes(dir["gz"], Gzip(Images));
        foreach (var path in new[] { dir["raw"], dir["gz"] })
        {
            var a = Semisup.Data.Idx.Read(path);
            Assert.Equal([2, 2, 3], a.Shape);
            Assert.Equal(255, a.Data[^1]);
            Assert.Equal(12, a.Data.Length);
        }
    }

    public static TheoryData<string, byte[], string> BadFiles => new()
    {
        { "truncated", Images[..^3], "truncated" },
        { "wrong magic", [1, 2, 8, 1, 0, 0, 0, 1, 0], "wrong magic" },
        { "wrong element type", Idx(0x0D, [1], [0, 0, 0, 0]), "float32" },
        { "unknown element type", Idx(0x42, [1], [0]), "unknown element type" },
        { "header larger than the file", Images[..10], "ends inside the header" },
        { "too many dimensions", Idx(0x08, [1, 1, 1, 1, 1], [7]), "5 dimensions" },
        { "billions of images", Idx(0x08, [2_000_000_000, 28, 28], []), "more than" },
        { "billions of images, gzipped", Gzip(Idx(0x08, [2_000_000_000, 28, 28], [1, 2, 3])), "more than" },
        { "trailing bytes", [.. Images, 1], "header declares" },
        { "gzip garbage", [0x1f, 0x8b, 8, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9], "not a valid gzip file" },
        { "truncated gzip", Gzip(Images)[..^6], "not a valid gzip file" },
        { "empty", [], "shorter than an IDX header" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Bad_files_give_one_clear_error_naming_the_file(string what, byte[] bytes, string expected)
    {
        using var dir = new TempDir();
        var path = dir[what.Replace(' ', '-')];
        File.WriteAllBytes(path, bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<SemisupException>(() => Semisup.Data.Idx.Read(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "a lying header must not make the reader allocate");
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Decompression_stops_at_the_limit()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["bomb.gz"], Gzip(new byte[10_000_000]));
        var e = Assert.Throws<SemisupException>(() => Semisup.Data.Idx.ReadContent(dir["bomb.gz"], maxBytes: 1_000_000));
        Assert.Contains("more than 1,000,000 bytes", e.Message);
    }
}
