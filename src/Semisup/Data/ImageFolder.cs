using System.Security.Cryptography;
using System.Buffers.Binary;

namespace Semisup.Data;

/// <summary>How a folder of images is loaded.</summary>
public sealed record ImageLoadOptions
{
    public const long DefaultMemoryLimit = 4L << 30;

    public ImageShape Shape { get; init; } = new();
    /// <summary>The most the decoded set may take, in bytes; a larger set is refused before anything is decoded.</summary>
    public long MemoryLimit { get; init; } = DefaultMemoryLimit;
    /// <summary>Leave out files that cannot be read or decoded (saying how many, and the first ten), instead of stopping.</summary>
    public bool SkipUnreadable { get; init; }
    /// <summary>Where decoded sets are cached; null: decode every time.</summary>
    public string? CacheDir { get; init; } = ImageCache.DefaultDir();
    /// <summary>Files decoded at once.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>How the caller's user raises the limit (a flag, a setting): ends the too-large message.</summary>
    public string MemoryLimitHint { get; init; } = "raise the memory limit";
    /// <summary>How the caller's user asks to skip unreadable files: ends the message of the first one.</summary>
    public string SkipHint { get; init; } = "To go on without such files, skip unreadable files.";
}

/// <summary>What <see cref="ImageFolder.Check"/> found: the listing, every problem, and the images that decoded (null
/// when the set was too large to decode). The set is usable only when there are no <see cref="Errors"/>.</summary>
public sealed record ImageCheck(ImageListing Listing, ImageFolderSet? Set, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings)
{
    public bool Ok => Errors.Count == 0;
}

/// <summary>Loads a folder (or CSV) of images: scans it, refuses it with the first problem, bounds its memory, and
/// decodes it in parallel, or reads it from the cache when no file changed. See <see cref="ImageListing"/> for the
/// layout and <see cref="ImageDecoder"/> for how each file becomes bytes.</summary>
public static class ImageFolder
{
    /// <summary>A data set: a folder in the layout or a CSV (<see cref="ImageListing.Scan"/>).</summary>
    public static ImageFolderSet Load(string path, ImageLoadOptions options, Action<string>? log = null, CancellationToken cancel = default) =>
        Load(ImageListing.Scan(path), options, log, cancel);

    /// <summary>Labeled images to evaluate (<see cref="ImageListing.ScanLabeled"/>), labeled by <paramref name="classes"/>; in the set's Test part.</summary>
    public static ImageFolderSet LoadLabeled(string path, IReadOnlyList<string>? classes, ImageLoadOptions options, Action<string>? log = null, CancellationToken cancel = default) =>
        Load(ImageListing.ScanLabeled(path, classes), options, log, cancel);

    public static ImageFolderSet Load(ImageListing listing, ImageLoadOptions options, Action<string>? log = null, CancellationToken cancel = default)
    {
        options.Shape.Validate();
        RequireNoErrors(listing);
        if (TooLarge(listing, options) is { } large) throw new SemisupException(large);
        var (set, problems) = Build(listing, options, stopAtFirst: !options.SkipUnreadable, useCache: true, log, cancel);
        if (problems.Count > 0 && !options.SkipUnreadable) throw new SemisupException($"{problems[0].Problem} {options.SkipHint}");
        return set!;
    }

    /// <summary>Refuses a listing with problems: the first, and how many more.</summary>
    public static void RequireNoErrors(ImageListing listing)
    {
        if (listing.Errors.Count > 0)
            throw new SemisupException(listing.Errors[0] + (listing.Errors.Count > 1 ? $" ({listing.Errors.Count - 1} more problem{(listing.Errors.Count == 2 ? "" : "s")}; `semisup data check` lists them.)" : ""));
    }

    /// <summary>Everything wrong with a folder or CSV, decoding every file that can be (through the cache when nothing
    /// else is wrong): for <c>semisup data check</c>. Unreadable files are errors, unless skipping them is asked for.</summary>
    public static ImageCheck Check(string path, ImageLoadOptions options, Action<string>? log = null, CancellationToken cancel = default)
    {
        options.Shape.Validate();
        var listing = ImageListing.Scan(path);
        var errors = listing.Errors.ToList();
        if (TooLarge(listing, options) is { } large)
            return new(listing, null, [.. errors, large], listing.Warnings);
        var (set, problems) = Build(listing, options, stopAtFirst: false, useCache: errors.Count == 0, log, cancel);
        if (!options.SkipUnreadable) errors.AddRange(problems.Select(p => p.Problem));
        return new(listing, set, errors, set?.Warnings ?? listing.Warnings);
    }

    /// <summary>Bytes the decoded set takes: one C×H×W image per file.</summary>
    public static long DecodedBytes(long images, ImageShape shape) => images * shape.Bytes;

    /// <summary>Bytes as a person reads them: 1.5 GiB, 300 MiB, 12 KiB.</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.#} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.#} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.#} KiB",
        _ => $"{bytes} bytes",
    };

    /// <summary>Why the decoded set would not fit, with the numbers, or null.</summary>
    static string? TooLarge(ImageListing listing, ImageLoadOptions options)
    {
        var shape = options.Shape;
        long total = DecodedBytes(listing.Entries.Count, shape);
        if (total > options.MemoryLimit)
            return $"{listing.Source}: {listing.Entries.Count:N0} images at {shape} take {total:N0} bytes ({FormatBytes(total)}) decoded, more than the memory limit of {FormatBytes(options.MemoryLimit)}; use a smaller size or fewer images, or {options.MemoryLimitHint}.";
        foreach (var part in listing.Entries.GroupBy(e => e.Part))
        {
            long bytes = DecodedBytes(part.Count(), shape);
            if (bytes > Array.MaxLength)
                return $"{listing.Source}: {part.Key} holds {part.Count():N0} images, {FormatBytes(bytes)} at {shape}: more than one array can hold ({FormatBytes(Array.MaxLength)}); use a smaller size or fewer images.";
        }
        return null;
    }

    /// <summary>Decodes (or reads from the cache) every entry; the problems found, in the listing's order, come back
    /// beside a set that leaves their files out. With <paramref name="stopAtFirst"/> decoding stops at the first one.</summary>
    static (ImageFolderSet? Set, List<SkippedImage> Problems) Build(ImageListing listing, ImageLoadOptions options, bool stopAtFirst, bool useCache, Action<string>? log, CancellationToken cancel)
    {
        var shape = options.Shape;
        var cache = useCache && options.CacheDir is { } dir ? new ImageCache(dir) : null;
        var key = ImageCache.Key(listing, shape);
        var cacheFile = cache?.FileFor(listing, shape);
        if (cache != null && cache.Read(cacheFile!, key, shape, log) is var (cachedParts, cachedSkipped))
        {
            var skipped = cachedSkipped.ToList();
            return (Assemble(listing, options, cachedParts, skipped, fromCache: true, decoded: 0, cacheFile), skipped);
        }

        var entries = listing.Entries;
        int n = entries.Count, bytes = shape.Bytes;
        var slot = new int[n]; // each entry's index within its part
        var counts = new Dictionary<ImagePart, int>();
        for (int i = 0; i < n; i++)
        {
            slot[i] = counts.GetValueOrDefault(entries[i].Part);
            counts[entries[i].Part] = slot[i] + 1;
        }
        var pixels = listing.Parts.ToDictionary(p => p, p => new byte[DecodedBytes(counts.GetValueOrDefault(p), shape)]);
        var sources = new ImageSourceInfo[n];
        var hashes = new UInt128[n];
        var problems = new string?[n];
        int decoded = 0;
        if (n > 0) log?.Invoke($"decoding {n:N0} images of {listing.Source} to {shape}");
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Threads), CancellationToken = cancel }, (i, loop) =>
        {
            var e = entries[i];
            string name = listing.Display(e);
            try
            {
                if (e.Problem != null) throw new SemisupException($"{name}: {e.Problem}.");
                var file = ImageDecoder.ReadFile(e.FullPath, name);
                hashes[i] = BinaryPrimitives.ReadUInt128LittleEndian(SHA256.HashData(file));
                sources[i] = ImageDecoder.Decode(file, shape, pixels[e.Part].AsSpan(slot[i] * bytes, bytes), name, "replace or remove it");
                Interlocked.Increment(ref decoded);
            }
            catch (SemisupException problem)
            {
                problems[i] = problem.Message;
                if (stopAtFirst) loop.Stop();
            }
        });

        var found = Enumerable.Range(0, n).Where(i => problems[i] != null).Select(i => new SkippedImage(entries[i].Path, problems[i]!)).ToList();
        if (found.Count > 0 && stopAtFirst) return (null, found);
        var parts = new Dictionary<ImagePart, ImagePartition>();
        foreach (var part in listing.Parts)
        {
            var members = Enumerable.Range(0, n).Where(i => entries[i].Part == part).ToArray();
            var whole = new ImagePartition(part, shape, pixels[part], [.. members.Select(i => entries[i].Label)], [.. members.Select(i => entries[i].Path)],
                [.. members.Select(i => sources[i])], [.. members.Select(i => hashes[i])]);
            parts[part] = whole.Without(members.Select((i, k) => (i, k)).Where(m => problems[m.i] != null).Select(m => m.k).ToHashSet());
        }
        if (cache != null && (found.Count == 0 || options.SkipUnreadable) && cache.Write(cacheFile!, key, shape, parts, found, log) == false) cacheFile = null;
        return (Assemble(listing, options, parts, found, fromCache: false, decoded, cache != null ? cacheFile : null), found);
    }

    static ImageFolderSet Assemble(ImageListing listing, ImageLoadOptions options, Dictionary<ImagePart, ImagePartition> parts, List<SkippedImage> skipped, bool fromCache, int decoded, string? cacheFile)
    {
        var warnings = listing.Warnings.Concat(Duplicates(listing, parts)).ToList();
        if (skipped.Count > 0 && options.SkipUnreadable)
            warnings.Add($"skipped {skipped.Count:N0} unreadable file{(skipped.Count == 1 ? "" : "s")}: {string.Join(", ", skipped.Take(10).Select(s => listing.Display(s.Path)))}{(skipped.Count > 10 ? ", …" : "")}. The first: {skipped[0].Problem}");
        return new()
        {
            Source = listing.Source, Root = listing.Root, Classes = listing.Classes, Shape = options.Shape, Parts = parts,
            Warnings = warnings, Skipped = skipped, FromCache = fromCache, Decoded = decoded, CacheFile = cacheFile,
        };
    }

    /// <summary>Warnings for files that are the same (by content) in two parts, or in two classes: a labeled image also
    /// in unlabeled is used as both; one in validation or test as well as in training makes its accuracy a flatterer.</summary>
    static IEnumerable<string> Duplicates(ImageListing listing, Dictionary<ImagePart, ImagePartition> parts)
    {
        var seen = new Dictionary<UInt128, (ImagePart Part, int Label, string Path)>();
        var pairs = new Dictionary<(ImagePart, ImagePart, bool), (int Count, string Example)>();
        foreach (var part in parts.Values.OrderBy(p => p.Part))
            for (int i = 0; i < part.Count; i++)
            {
                if (!seen.TryAdd(part.Hashes[i], (part.Part, part.Labels[i], part.Paths[i])))
                {
                    var first = seen[part.Hashes[i]];
                    bool otherClass = first.Part == part.Part && first.Label != part.Labels[i];
                    if (first.Part == part.Part && !otherClass) continue;
                    var k = (first.Part, part.Part, otherClass);
                    var (count, example) = pairs.GetValueOrDefault(k, (0, $"{listing.Display(part.Paths[i])} = {listing.Display(first.Path)}"));
                    pairs[k] = (count + 1, example);
                }
            }
        foreach (var ((a, b, otherClass), (count, example)) in pairs)
        {
            string files = count == 1 ? "1 file" : $"{count:N0} files";
            yield return (a, b, otherClass) switch
            {
                (ImagePart.Labeled, ImagePart.Labeled, true) => $"{files} of labeled {(count == 1 ? "is" : "are")} in two classes (e.g. {example}); remove the wrong copy.",
                (_, _, true) => $"{files} of {Name(b)} {(count == 1 ? "is" : "are")} in two classes (e.g. {example}); remove the wrong copy.",
                (ImagePart.Validation, ImagePart.Test, _) => $"{files} in test {(count == 1 ? "is" : "are")} the same as in validation (e.g. {example}); remove {(count == 1 ? "it" : "them")} from one side.",
                (ImagePart.Labeled, ImagePart.Unlabeled, _) => $"{files} in unlabeled {(count == 1 ? "is" : "are")} the same as in labeled (e.g. {example}); {(count == 1 ? "it is" : "they are")} used as both.",
                _ => $"{files} in {Name(b)} {(count == 1 ? "is" : "are")} the same as in {Name(a)} (e.g. {example}); {Name(b)} accuracy counts {(count == 1 ? "it" : "them")} though training saw {(count == 1 ? "it" : "them")}; remove {(count == 1 ? "it" : "them")} from one side.",
            };
        }
    }

    static string Name(ImagePart part) => part.ToString().ToLowerInvariant();
}
