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
        // A valid header declaring 10 MB of zeros, which compress to almost nothing.
        File.WriteAllBytes(dir["bomb.gz"], Gzip(Idx(0x08, [10_000_000], new byte[10_000_000])));
        var e = Assert.Throws<SemisupException>(() => Semisup.Data.Idx.ReadContent(dir["bomb.gz"], maxBytes: 1_000_000));
        Assert.Contains("more than 1,000,000 bytes", e.Message);
    }

    [SkippableFact]
    public void A_device_or_a_link_to_one_is_refused_without_reading_it()
    {
        Skip.IfNot(File.Exists("/dev/zero"), "no /dev/zero");
        using var dir = new TempDir();
        File.CreateSymbolicLink(dir["train-images-idx3-ubyte"], "/dev/zero");
        foreach (var path in new[] { "/dev/zero", dir["train-images-idx3-ubyte"] })
        {
            var e = Assert.Throws<SemisupException>(() => Semisup.Data.Idx.Read(path));
            Assert.Contains($"{path}: not a regular file", e.Message);
            Assert.Contains(path, Assert.Throws<SemisupException>(() => Semisup.Data.Idx.Sha256(path, 1000)).Message);
        }
    }

    [Fact]
    public void A_huge_file_is_refused_on_its_size_and_a_few_images_read_only_those()
    {
        using var dir = new TempDir();
        // 1.9 GB, sparse: its header says 10 bytes of data.
        using (var huge = File.Create(dir["huge"]))
        {
            huge.Write(Idx(0x08, [10], new byte[10]));
            huge.SetLength(1_900_000_000);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<SemisupException>(() => Semisup.Data.Idx.Read(dir["huge"]));
        Assert.Contains("1,900,000,000 bytes is more than such a file can hold", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "refused before reading");
        // A valid header over a sea of zeros, gzipped to almost nothing: two images cost two images.
        File.WriteAllBytes(dir["zeros.gz"], Gzip(Idx(0x08, [60000, 28, 28], new byte[60000 * 784])));
        before = GC.GetAllocatedBytesForCurrentThread();
        var two = Semisup.Data.Idx.Read(dir["zeros.gz"], maxItems: 2);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "only the images asked for are read");
        Assert.Equal([2, 28, 28], two.Shape);
    }

    [Fact]
    public void Hashing_streams_the_file()
    {
        using var dir = new TempDir();
        var content = Idx(0x08, [50_000_000], new byte[50_000_000]);
        File.WriteAllBytes(dir["big"], content);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sha = Semisup.Data.Idx.Sha256(dir["big"], content.Length);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20, "hashed in chunks");
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)), sha);
        Assert.Contains("holds more than the 1,000 bytes", Assert.Throws<SemisupException>(() => Semisup.Data.Idx.Sha256(dir["big"], 1000)).Message);
    }
}
