using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Semisup.Data;

/// <summary>Decoded sets on disk, so a second run does not decode again. One file per (source, kind of scan, shape,
/// classes), named by their hash; inside, a key over every file's path, size and modification time, the classes and the
/// decoder's version: a changed, added or removed file changes the key and the set is decoded again (and the file
/// replaced). Files are written to a temporary name and renamed, so a crash leaves the old file or none (and a temporary
/// file, which the next write removes); each ends with the SHA-256 of what precedes it, checked on every read. The
/// directory can be deleted at any time.</summary>
public sealed class ImageCache(string dir)
{
    static readonly byte[] Magic = "SEMISUP-IMAGES-1\n"u8.ToArray();
    static readonly JsonSerializerOptions Json = new() { IncludeFields = true };

    /// <summary><c>${XDG_CACHE_HOME:-~/.cache}/semisup/images</c>, beside the datasets' cache.</summary>
    public static string DefaultDir() => Path.Combine(DataOptions.FromEnvironment().CacheRoot, "images");

    public string Dir => dir;

    /// <summary>The cache file for a listing decoded at a shape.</summary>
    public string FileFor(ImageListing listing, ImageShape shape) =>
        Path.Combine(dir, Hex(Encoding.UTF8.GetBytes($"{listing.Kind}\n{Path.TrimEndingDirectorySeparator(Path.GetFullPath(listing.Source))}\n{shape}\n{string.Join("\n", listing.Classes)}"))[..32] + ".bin");

    /// <summary>What the cached bytes depend on: the decoder and Skia, the shape, the classes, and each file's part,
    /// label, path, size and modification time (and the problem the scan found with it).</summary>
    public static string Key(ImageListing listing, ImageShape shape)
    {
        var text = new StringBuilder();
        text.Append($"decoder {ImageDecoder.Version}, skia {typeof(SkiaSharp.SKCodec).Assembly.GetName().Version}, {shape}\n");
        foreach (var c in listing.Classes) text.Append($"class {c}\n");
        foreach (var e in listing.Entries) text.Append($"{e.Part} {e.Label} {e.Length} {e.Modified} {e.Path}\0{e.Problem}\n");
        return Hex(Encoding.UTF8.GetBytes(text.ToString()));
    }

    static string Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    sealed record PartHeader(ImagePart Part, int[] Labels, string[] Paths, int[] Widths, int[] Heights, byte[] Kinds, byte[] Hashes);
    sealed record Header(string Key, int Channels, int Size, PartHeader[] Parts, SkippedImage[] Skipped);

    /// <summary>The parts and skipped files cached under <paramref name="key"/>, or null when the file is missing, is for
    /// another key, or is damaged (said through <paramref name="log"/>).</summary>
    public (Dictionary<ImagePart, ImagePartition> Parts, SkippedImage[] Skipped)? Read(string file, string key, ImageShape shape, Action<string>? log = null)
    {
        if (!File.Exists(file)) return null;
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] Next(long count)
            {
                if (count < 0 || count > Array.MaxLength || stream.Position + count > stream.Length - 32) throw new InvalidDataException("a length runs past the end");
                var bytes = new byte[count];
                stream.ReadExactly(bytes);
                sha.AppendData(bytes);
                return bytes;
            }
            if (!Next(Magic.Length).SequenceEqual(Magic)) throw new InvalidDataException("not a Semisup image cache");
            var header = JsonSerializer.Deserialize<Header>(Next(BinaryPrimitives.ReadInt64LittleEndian(Next(8))), Json)
                ?? throw new InvalidDataException("no header");
            if (header.Key != key)
            {
                log?.Invoke($"{file}: the images changed since they were cached; decoding them again.");
                return null;
            }
            if (header.Channels != shape.Channels || header.Size != shape.Size) throw new InvalidDataException("its shape is not its key's");
            var parts = new Dictionary<ImagePart, ImagePartition>();
            foreach (var p in header.Parts)
            {
                int n = p.Labels.Length;
                var hashes = new UInt128[n];
                for (int i = 0; i < n; i++) hashes[i] = BinaryPrimitives.ReadUInt128LittleEndian(p.Hashes.AsSpan(16 * i, 16));
                var sources = Enumerable.Range(0, n).Select(i => new ImageSourceInfo(p.Widths[i], p.Heights[i], (ImageKind)p.Kinds[i])).ToArray();
                parts[p.Part] = new ImagePartition(p.Part, shape, Next((long)n * shape.Bytes), p.Labels, p.Paths, sources, hashes);
            }
            var stored = new byte[32];
            stream.ReadExactly(stored);
            if (stream.Position != stream.Length || !sha.GetHashAndReset().AsSpan().SequenceEqual(stored)) throw new InvalidDataException("its checksum does not match");
            return (parts, header.Skipped);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or JsonException or ArgumentException or IndexOutOfRangeException or NotSupportedException)
        {
            log?.Invoke($"{file}: cannot be used ({e.Message}); decoding the images again.");
            return null;
        }
    }

    /// <summary>Deletes the temporary files of <paramref name="file"/> that no writer holds. Each write's name is its own
    /// (so concurrent writers do not mix), and a writer killed mid-write leaves its file, the size of a decoded set: without
    /// this they would pile up, one a kill. A live writer holds its file with FileShare.None, an advisory lock the system
    /// drops when the process ends, so the open here fails on it and leaves it be.</summary>
    static void RemoveAbandoned(string file)
    {
        foreach (var temp in Directory.EnumerateFiles(Path.GetDirectoryName(file)!, $"{Path.GetFileName(file)}.tmp-*"))
        {
            try
            {
                using var _ = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>Writes the parts under <paramref name="key"/>: to a temporary file, then renamed over <paramref name="file"/>.
    /// A failure (a full disk, no permission) is said through <paramref name="log"/> and leaves nothing behind; the
    /// images are then decoded again next time.</summary>
    public bool Write(string file, string key, ImageShape shape, IReadOnlyDictionary<ImagePart, ImagePartition> parts, IReadOnlyList<SkippedImage> skipped, Action<string>? log = null)
    {
        var header = new Header(key, shape.Channels, shape.Size,
            [.. parts.Values.OrderBy(p => p.Part).Select(p =>
            {
                var hashes = new byte[16 * p.Count];
                for (int i = 0; i < p.Count; i++) BinaryPrimitives.WriteUInt128LittleEndian(hashes.AsSpan(16 * i), p.Hashes[i]);
                return new PartHeader(p.Part, p.Labels, p.Paths, [.. p.Sources.Select(s => s.Width)], [.. p.Sources.Select(s => s.Height)], [.. p.Sources.Select(s => (byte)s.Kind)], hashes);
            })],
            [.. skipped]);
        var temp = $"{file}.tmp-{Guid.NewGuid():N}";
        try
        {
            Directory.CreateDirectory(dir);
            RemoveAbandoned(file);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                void Put(ReadOnlySpan<byte> bytes) { stream.Write(bytes); sha.AppendData(bytes); }
                var json = JsonSerializer.SerializeToUtf8Bytes(header, Json);
                var length = new byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(length, json.Length);
                Put(Magic);
                Put(length);
                Put(json);
                foreach (var p in parts.Values.OrderBy(p => p.Part)) Put(p.Pixels);
                stream.Write(sha.GetHashAndReset());
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, file, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log?.Invoke($"warning: could not cache the decoded images in {dir} ({e.Message}); they will be decoded again next time.");
            return false;
        }
        finally
        {
            try { File.Delete(temp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
