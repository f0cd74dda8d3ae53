namespace Semisup.Data;

/// <summary>One image to predict: the name output and messages call it (the path as the user gave it), the file to
/// open, and what the scan already knows is wrong with it (a link loop, a name that is not UTF-8).</summary>
public sealed record ImageInput(string Name, string Path, string? Problem = null);

/// <summary>Images to predict: an image file, every image under a folder, or the first images of an IDX file.</summary>
public static class ImageInputs
{
    public static void CheckLimit(int limit)
    {
        if (limit < 1) throw new SettingException(Setting.Limit, limit.ToString(), "give at least 1 image.");
    }

    /// <summary>The file itself, or every image file under the folder (following links, in ordinal order of names at
    /// each level, by extension: <see cref="ImageDecoder.Extensions"/>), with the scan's warnings (files left out).</summary>
    public static (IReadOnlyList<ImageInput> Files, IReadOnlyList<string> Warnings) Files(string path)
    {
        if (File.Exists(path)) Idx.CheckRegular(path, "an image or IDX file");
        var listing = ImageListing.ScanUnlabeled(path);
        if (listing.Errors.Count > 0) throw new SemisupException(listing.Errors[0]);
        return ([.. listing.Entries.Select(e => new ImageInput(listing.Display(e), e.FullPath, e.Problem is { } p ? $"{listing.Display(e)}: {p}." : null))],
            listing.Warnings);
    }

    /// <summary>Whether <paramref name="path"/> is a regular file that starts as an IDX file (two zero bytes) or a gzip
    /// file (1f 8b) does; a shorter file is neither, and the image decoder then says it is no image either.</summary>
    public static bool IsIdx(string path)
    {
        if (!File.Exists(path)) return false;
        Idx.CheckRegular(path, "an image or IDX file");
        using var head = File.OpenRead(path);
        var magic = new byte[4];
        return head.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) == magic.Length
            && (magic[0] == 0 && magic[1] == 0 || magic[0] == 0x1f && magic[1] == 0x8b);
    }

    /// <summary>Names (file[i]) and pixels in [0, 1] of at most <paramref name="limit"/> images of an IDX file of
    /// N×<paramref name="height"/>×<paramref name="width"/> bytes, row-major. Only the images asked for are read,
    /// however large the file.</summary>
    public static (List<string> Names, float[] Pixels) ReadIdx(string path, int limit, int height, int width)
    {
        CheckLimit(limit);
        var idx = Idx.Read(path, maxItems: limit);
        if (idx.Shape.Length != 3 || idx.Shape[1] != height || idx.Shape[2] != width)
            throw new SemisupException($"{path}: expected N×{height}×{width} images, got {string.Join("x", idx.Shape)}.");
        int n = Math.Min(idx.Count, limit), size = height * width;
        return (Enumerable.Range(0, n).Select(i => $"{Path.GetFileName(path)}[{i}]").ToList(),
            idx.Data.Take(n * size).Select(b => b / 255f).ToArray());
    }
}
