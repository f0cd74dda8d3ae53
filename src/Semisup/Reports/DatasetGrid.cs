using Semisup.Data;

namespace Semisup.Reports;

/// <summary>What <c>data show</c> draws: images of a dataset's train or test file, or a run's labeled subset class by
/// class, as a grid with their labels. <see cref="Plan"/> checks the options before any data is looked for.</summary>
public sealed record DatasetGrid(string Split, int Count, int Labels, ulong Seed, string Scheme)
{
    public static DatasetGrid Plan(string split, int? count, int? labels, ulong? seed, string? scheme)
    {
        if (split is not ("train" or "test" or "labeled")) throw new SemisupException($"--split {split}: give train, test or labeled.");
        if (split != "labeled" && (labels != null || seed != null || scheme != null))
            throw new SemisupException("--labels, --seed and --scheme choose a labeled subset: use them with --split labeled.");
        int labelCount = labels ?? 100;
        var schemeName = scheme ?? Data.Split.Random;
        Data.Split.Check(labelCount, schemeName);
        // Known before the data is read: a labeled subset has exactly --labels images.
        int n = count ?? (split == "labeled" ? (labelCount == Data.Split.AllLabels ? int.MaxValue : labelCount) : 50);
        if (n is < 1 or > 1000)
            throw new SemisupException(count is null ? $"--split labeled: {(labelCount == Data.Split.AllLabels ? "all the" : labelCount.ToString("N0"))} labeled images are more than one grid shows (1,000); pass --count." : $"--count {n}: give 1 to 1000 images.");
        return new(split, n, labelCount, seed ?? 1, schemeName);
    }

    /// <summary>Draws the grid into <paramref name="output"/>; returns how many images it shows.</summary>
    public int Write(DatasetFiles files, DatasetInfo ds, string output)
    {
        if (Directory.Exists(output)) throw new SemisupException($"-o {output}: is a directory; give a PNG file's path, such as {Path.Combine(output, "digits.png")}.");
        var (images, labelFile) = Split == "test" ? (files.TestImages, files.TestLabels) : (files.TrainImages, files.TrainLabels);
        // The labeled subset as a run with these labels, seed and scheme trains on it, class by class.
        var indices = Split == "labeled"
            ? Data.Split.Create(ds.Name, labelFile.Data, Labels, Seed, Scheme).Labeled.OrderBy(i => labelFile.Data[i]).ToArray()
            : Enumerable.Range(0, labelFile.Data.Length).ToArray();
        indices = indices[..Math.Min(Count, indices.Length)];
        int h = images.Shape[1], w = images.Shape[2];
        var pixels = indices.SelectMany(i => new ArraySegment<byte>(images.Data, i * h * w, h * w)).ToArray();
        var captions = indices.Select(i => ClassNames.Of(ds)[labelFile.Data[i]]).ToArray();
        int perClass = Labels / 10; // a row per class when the rows stay short (-1 labels = all: rows of 10)
        ImageGrid.Save(output, pixels, 1, h, w, captions, columns: Split == "labeled" && perClass is > 0 and <= 20 ? perClass : 10, negative: true);
        return indices.Length;
    }
}
