using System.Text.Json;

namespace Semisup.Data;

/// <summary>The lab's protocol over the 60,000 training images: a class-balanced labeled set, 10,000 validation
/// images, the rest unlabeled. A pure function of (dataset, label count, seed, scheme); the official test set is apart.
/// Scheme <see cref="Random"/> draws the images by seed; <see cref="Lab"/> takes them in file order as the lab's data
/// did (the course's label_unlabel_split notebook): per class the first labels/10 images labeled, the next 1,000
/// validation, the rest unlabeled, whatever the seed.</summary>
public sealed record Split(string Dataset, int Labels, ulong Seed, int[] Labeled, int[] Validation, int[] Unlabeled, string Scheme = Split.Random)
{
    public const int ValidationSize = 10_000;
    public const string Random = "random", Lab = "lab";
    public static readonly string[] Schemes = [Random, Lab];

    /// <summary>Label count meaning "every non-validation image is labeled".</summary>
    public const int AllLabels = -1;

    /// <summary>Rejects a label count or scheme no split has, before any data is read.</summary>
    public static void Check(int labels, string scheme)
    {
        if (labels != AllLabels && (labels < 10 || labels % 10 != 0))
            throw new SettingException(Setting.Labels, labels.ToString(), "the labeled set is class-balanced, so give a positive multiple of 10 (e.g. 100, 1000, 3000) or 'all'.");
        if (!Schemes.Contains(scheme)) throw new SemisupException($"split '{scheme}': known schemes are {string.Join(", ", Schemes)}.");
    }

    /// <param name="trainLabels">The labels of the training images, 0–9.</param>
    /// <param name="labels">A multiple of 10 (labeled images per class × 10), or <see cref="AllLabels"/>.</param>
    public static Split Create(string dataset, byte[] trainLabels, int labels, ulong seed, string scheme = Random)
    {
        int n = trainLabels.Length;
        if (n <= ValidationSize) throw new SemisupException($"{dataset} has {n} training images; the split needs more than {ValidationSize}.");
        Check(labels, scheme);
        if (scheme == Lab) return InFileOrder(dataset, trainLabels, labels, seed);

        var order = Permutation(n, seed);
        var validation = order[..ValidationSize];
        var rest = order[ValidationSize..];
        if (labels == AllLabels)
            return new(dataset, rest.Length, seed, Sorted(rest), Sorted(validation), []);

        int perClass = labels / 10;
        var byClass = Enumerable.Range(0, 10).Select(c => rest.Where(i => trainLabels[i] == c).ToArray()).ToArray();
        int available = byClass.Min(c => c.Length);
        if (perClass > available)
            throw new SettingException(Setting.Labels, labels.ToString(), $"{perClass} images per class, but the smallest class has only {available} outside validation (at most {available * 10} labels).");
        var labeled = byClass.SelectMany(c => c[..perClass]).ToArray();
        var unlabeled = rest.Except(labeled).ToArray();
        return new(dataset, labels, seed, Sorted(labeled), Sorted(validation), Sorted(unlabeled));
    }

    static Split InFileOrder(string dataset, byte[] trainLabels, int labels, ulong seed)
    {
        const int validationPerClass = ValidationSize / 10;
        int perClass = labels == AllLabels ? 0 : labels / 10;
        var byClass = Enumerable.Range(0, 10).Select(c => Enumerable.Range(0, trainLabels.Length).Where(i => trainLabels[i] == c).ToArray()).ToArray();
        int available = byClass.Min(c => c.Length) - validationPerClass;
        if (perClass > available)
            throw new SettingException(Setting.Labels, labels.ToString(), $"{perClass} images per class, but the smallest class has only {available} besides its {validationPerClass} validation images (at most {available * 10} labels).");
        var validation = byClass.SelectMany(c => c[perClass..(perClass + validationPerClass)]).ToArray();
        var rest = Enumerable.Range(0, trainLabels.Length).Except(validation).ToArray();
        if (labels == AllLabels) return new(dataset, rest.Length, seed, rest, Sorted(validation), [], Lab);
        var labeled = byClass.SelectMany(c => c[..perClass]).ToArray();
        return new(dataset, labels, seed, Sorted(labeled), Sorted(validation), rest.Except(labeled).ToArray(), Lab);
    }

    static int[] Sorted(int[] a) { var c = (int[])a.Clone(); Array.Sort(c); return c; }

    /// <summary>Fisher–Yates over SplitMix64: spelled out here because System.Random's seeded sequence is not
    /// promised to stay the same across .NET versions, and a split must.</summary>
    internal static int[] Permutation(int n, ulong seed)
    {
        var p = Enumerable.Range(0, n).ToArray();
        ulong state = seed;
        for (int i = n - 1; i > 0; i--)
        {
            state += 0x9E3779B97F4A7C15;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            z ^= z >> 31;
            int j = (int)(z % (ulong)(i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    /// <summary>Loads a split written by <see cref="Save"/> and checks it is one: disjoint, in range.</summary>
    public static Split Load(string path, int trainCount)
    {
        Split s;
        SafeFiles.RequireRegular(path, "the run's split file");
        try { s = JsonSerializer.Deserialize<Split>(File.ReadAllText(path)) ?? throw new JsonException("empty"); }
        catch (Exception e) when (e is IOException or JsonException)
        {
            throw new SemisupException($"{path}: cannot read the split ({e.Message}).", e);
        }
        var all = s.Labeled.Concat(s.Validation).Concat(s.Unlabeled).ToArray();
        if (all.Any(i => i < 0 || i >= trainCount) || all.Distinct().Count() != all.Length)
            throw new SemisupException($"{path}: indices out of range or not disjoint; this split is not of a {trainCount}-image training set.");
        return s;
    }
}
