namespace Semisup.Data;

/// <summary>Images to predict, read from an image file, a directory of them, or an IDX file of N×H×W images.</summary>
public static class DigitInputs
{
    /// <summary>The formats <see cref="DigitImage.Load"/> decodes.</summary>
    public static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <summary>Names and pixels in [0, 1], <paramref name="height"/>×<paramref name="width"/> each, row-major; at most
    /// <paramref name="limit"/> images of an IDX file. In a directory, a file that cannot be read is named in
    /// <c>Failures</c> with its reason and the others are read.</summary>
    public static (List<string> Names, float[] Pixels, List<string> Failures) Read(string path, int limit, int height = DigitImage.Side, int width = DigitImage.Side)
    {
        if (limit < 1) throw new SettingException(Setting.Limit, limit.ToString(), "give at least 1 image.");
        if (Directory.Exists(path))
        {
            var files = Directory.GetFiles(path).Where(f => ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase)).Order().ToList();
            if (files.Count == 0) throw new SemisupException($"{path}: no image files ({string.Join(", ", ImageExtensions)}) in this directory.");
            var (names, pixels, failures) = (new List<string>(), new List<float>(), new List<string>());
            foreach (var file in files)
            {
                try { pixels.AddRange(DigitImage.Load(file)); names.Add(file); }
                catch (Exception e) when (e is SemisupException or IOException or UnauthorizedAccessException) { failures.Add(e.Message); }
            }
            return (names, [.. pixels], failures);
        }
        if (!File.Exists(path)) throw new SemisupException($"{path}: no such file or directory.");
        Idx.CheckRegular(path, "an image or IDX file");
        if (!LooksLikeIdx(path)) return ([path], DigitImage.Load(path), []);
        // Only the images asked for are read, however large the file.
        var idx = Idx.Read(path, maxItems: limit);
        if (idx.Shape.Length != 3 || idx.Shape[1] != height || idx.Shape[2] != width)
            throw new SemisupException($"{path}: expected N×{height}×{width} images, got {string.Join("x", idx.Shape)}.");
        int n = Math.Min(idx.Count, limit), size = height * width;
        return (Enumerable.Range(0, n).Select(i => $"{Path.GetFileName(path)}[{i}]").ToList(),
            idx.Data.Take(n * size).Select(b => b / 255f).ToArray(), []);
    }

    /// <summary>An IDX file starts with two zero bytes, a gzip file with 1f 8b; a shorter file is neither, and the image
    /// reader then says it is no image either.</summary>
    static bool LooksLikeIdx(string path)
    {
        using var head = File.OpenRead(path);
        var magic = new byte[4];
        return head.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) == magic.Length
            && (magic[0] == 0 && magic[1] == 0 || magic[0] == 0x1f && magic[1] == 0x8b);
    }
}
