using static TorchSharp.torch;

namespace Semisup.Data;

/// <summary>One part's decoded images, kept as bytes: <see cref="Pixels"/> is N×C×H×W, image i at i·C·H·W.</summary>
public sealed class ImagePartition
{
    public ImagePartition(ImagePart part, ImageShape shape, byte[] pixels, int[] labels, string[] paths, ImageSourceInfo[] sources, UInt128[] hashes)
    {
        if (pixels.LongLength != (long)labels.Length * shape.Bytes || paths.Length != labels.Length || sources.Length != labels.Length || hashes.Length != labels.Length)
            throw new ArgumentException($"{part}: {labels.Length} images need {(long)labels.Length * shape.Bytes} bytes and as many paths, sources and hashes");
        (Part, Shape, Pixels, Labels, Paths, Sources, Hashes) = (part, shape, pixels, labels, paths, sources, hashes);
    }

    public ImagePart Part { get; }
    public ImageShape Shape { get; }
    /// <summary>N×C×H×W bytes, 0–255, as decoded.</summary>
    public byte[] Pixels { get; }
    /// <summary>Each image's class index into the set's classes; −1 for an unlabeled image.</summary>
    public int[] Labels { get; }
    /// <summary>Each image's file, relative to the set's root, '/'-separated.</summary>
    public string[] Paths { get; }
    /// <summary>Each file's stored size and colour kind, before conversion.</summary>
    public ImageSourceInfo[] Sources { get; }
    /// <summary>The first 128 bits of each file's SHA-256: finds the same file in two parts.</summary>
    internal UInt128[] Hashes { get; }

    public int Count => Labels.Length;
    public ReadOnlySpan<byte> Image(int i) => Pixels.AsSpan(i * Shape.Bytes, Shape.Bytes);

    /// <summary>The images as a uint8 tensor [N, C, H, W] (a copy).</summary>
    public Tensor ToTensor() => tensor(Pixels, [Count, Shape.Channels, Shape.Size, Shape.Size], ScalarType.Byte);

    /// <summary>The labels as an int64 tensor [N].</summary>
    public Tensor LabelTensor() => tensor(Labels.Select(l => (long)l).ToArray(), ScalarType.Int64);

    internal ImagePartition Without(IReadOnlySet<int> drop)
    {
        if (drop.Count == 0) return this;
        var keep = Enumerable.Range(0, Count).Where(i => !drop.Contains(i)).ToArray();
        var pixels = new byte[(long)keep.Length * Shape.Bytes];
        for (int k = 0; k < keep.Length; k++) Image(keep[k]).CopyTo(pixels.AsSpan(k * Shape.Bytes, Shape.Bytes));
        return new(Part, Shape, pixels, [.. keep.Select(i => Labels[i])], [.. keep.Select(i => Paths[i])], [.. keep.Select(i => Sources[i])], [.. keep.Select(i => Hashes[i])]);
    }
}

/// <summary>A file left out of a set, by its path relative to the root, with the whole message why.</summary>
public sealed record SkippedImage(string Path, string Problem);

/// <summary>A folder or CSV of images, decoded: the classes and, per part present, its images as bytes.</summary>
public sealed class ImageFolderSet
{
    /// <summary>What was loaded, as given: the folder or the CSV.</summary>
    public required string Source { get; init; }
    /// <summary>The absolute folder the partitions' paths are relative to.</summary>
    public required string Root { get; init; }
    /// <summary>Class names in label order: the labeled folders' names (or CSV labels) in ordinal order, or the classes asked for.</summary>
    public required IReadOnlyList<string> Classes { get; init; }
    public required ImageShape Shape { get; init; }
    /// <summary>The parts present. A part is absent when its folder (or CSV split) is; present and empty only for unlabeled.</summary>
    public required IReadOnlyDictionary<ImagePart, ImagePartition> Parts { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
    /// <summary>Files left out (only when asked to skip unreadable files).</summary>
    public required IReadOnlyList<SkippedImage> Skipped { get; init; }
    /// <summary>Whether the images came from the cache rather than from decoding.</summary>
    public bool FromCache { get; init; }
    /// <summary>How many files this load decoded: 0 from the cache.</summary>
    public int Decoded { get; init; }
    /// <summary>The cache file read or written; null when caching is off.</summary>
    public string? CacheFile { get; init; }

    public ImagePartition? Labeled => Parts.GetValueOrDefault(ImagePart.Labeled);
    public ImagePartition? Unlabeled => Parts.GetValueOrDefault(ImagePart.Unlabeled);
    public ImagePartition? Validation => Parts.GetValueOrDefault(ImagePart.Validation);
    public ImagePartition? Test => Parts.GetValueOrDefault(ImagePart.Test);

    /// <summary>The file behind a partition's path, to open it again (a report's picture of a mistake).</summary>
    public string FullPath(string relative) => System.IO.Path.Combine(Root, relative);

    public int Count => Parts.Values.Sum(p => p.Count);
    public long Bytes => Parts.Values.Sum(p => p.Pixels.LongLength);
}
