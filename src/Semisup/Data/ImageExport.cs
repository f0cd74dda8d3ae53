using SkiaSharp;

namespace Semisup.Data;

/// <summary>How many images an export wrote, per part.</summary>
public sealed record ExportCounts(int Labeled, int Unlabeled, int Validation, int Test)
{
    public int Total => Labeled + Unlabeled + Validation + Test;
}

/// <summary>Writes a dataset in the image-folder layout as PNGs: <c>labeled/&lt;class&gt;/</c>, <c>unlabeled/</c>,
/// <c>validation/&lt;class&gt;/</c> and <c>test/&lt;class&gt;/</c>, each file named by its index in the IDX file
/// (<c>00012.png</c>), so a folder loads in the order of the file. Everything is written into a sibling staging folder
/// and renamed into place at the end: an interrupted export leaves no half-written set.</summary>
public static class ImageExport
{
    /// <summary>Class folder names whose ordinal order is the label order: the class names when they already sort so
    /// (MNIST's 0–9), else the names behind their label ("0-T-shirt" … "9-Boot").</summary>
    public static IReadOnlyList<string> FolderNames(IReadOnlyList<string> classNames)
    {
        if (classNames.SequenceEqual(classNames.Order(StringComparer.Ordinal))) return classNames;
        int digits = (classNames.Count - 1).ToString().Length;
        return [.. classNames.Select((name, i) => $"{i.ToString().PadLeft(digits, '0')}-{name}")];
    }

    /// <summary>The dataset as folders of 28×28 gray PNGs, split by <paramref name="split"/> (the split `train --labels N
    /// --seed S` uses), with every test image unless <paramref name="test"/> lists some. Writes <c>split.json</c> beside.</summary>
    public static ExportCounts Write(DatasetFiles files, Split split, IReadOnlyList<string> classNames, string outDir,
        int[]? test = null, int threads = 0, CancellationToken cancel = default)
    {
        var folders = FolderNames(classNames);
        var train = files.TrainImages;
        int side = train.Shape[1], pixels = side * train.Shape[2];
        test ??= [.. Enumerable.Range(0, files.TestImages.Count)];
        var jobs = new List<(string Path, Func<byte[]> Encode)>();
        (string, Func<byte[]>) Job(string folder, IdxArray images, int index) =>
            ($"{folder}/{index:00000}.png", () => EncodePng(images.Data.AsSpan(index * pixels, pixels), images.Shape[2], side, 1));
        foreach (var i in split.Labeled) jobs.Add(Job($"{ImageListing.LabeledFolder}/{folders[files.TrainLabels.Data[i]]}", train, i));
        foreach (var i in split.Unlabeled) jobs.Add(Job(ImageListing.UnlabeledFolder, train, i));
        foreach (var i in split.Validation) jobs.Add(Job($"{ImageListing.ValidationFolder}/{folders[files.TrainLabels.Data[i]]}", train, i));
        foreach (var i in test) jobs.Add(Job($"{ImageListing.TestFolder}/{folders[files.TestLabels.Data[i]]}", files.TestImages, i));
        WriteTree(outDir, jobs, staging => split.Save(Path.Combine(staging, "split.json")), threads, cancel);
        return new(split.Labeled.Length, split.Unlabeled.Length, split.Validation.Length, test.Length);
    }

    /// <summary>A PNG of <paramref name="channels"/> (1 gray, 3 RGB) interleaved bytes, row by row.</summary>
    public static byte[] EncodePng(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        var info = new SKImageInfo(width, height, channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        var bytes = new byte[info.BytesSize];
        if (channels == 1) pixels.CopyTo(bytes);
        else
            for (int i = 0; i < width * height; i++)
                (bytes[4 * i], bytes[4 * i + 1], bytes[4 * i + 2], bytes[4 * i + 3]) = (pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2], 255);
        System.Runtime.InteropServices.Marshal.Copy(bytes, 0, bitmap.GetPixels(), bytes.Length);
        using var data = bitmap.PeekPixels().Encode(SKPngEncoderOptions.Default) ?? throw new SemisupException("Skia could not encode a PNG.");
        return data.ToArray();
    }

    /// <summary>Writes every job's file under a staging folder beside <paramref name="outDir"/>, in parallel, then renames
    /// the staging folder to <paramref name="outDir"/>, which must not exist or be empty.</summary>
    internal static void WriteTree(string outDir, IReadOnlyList<(string Path, Func<byte[]> Encode)> jobs, Action<string>? extra, int threads, CancellationToken cancel)
    {
        var target = Path.GetFullPath(outDir).TrimEnd(Path.DirectorySeparatorChar);
        if (File.Exists(target) || Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new SemisupException($"{outDir}: already exists; choose a new folder, or remove it first.");
        var staging = $"{target}.partial-{Guid.NewGuid():N}";
        try
        {
            Directory.CreateDirectory(staging);
            foreach (var folder in jobs.Select(j => Path.GetDirectoryName(Path.Combine(staging, j.Path))!).Distinct()) Directory.CreateDirectory(folder);
            Parallel.For(0, jobs.Count, new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount, CancellationToken = cancel },
                i => File.WriteAllBytes(Path.Combine(staging, jobs[i].Path), jobs[i].Encode()));
            extra?.Invoke(staging);
            if (Directory.Exists(target)) Directory.Delete(target);
            Directory.Move(staging, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SemisupException($"{outDir}: cannot write there ({e.Message}); choose a writable folder with room for the images.", e);
        }
        finally
        {
            if (Directory.Exists(staging)) try { Directory.Delete(staging, recursive: true); } catch (IOException) { }
        }
    }
}
