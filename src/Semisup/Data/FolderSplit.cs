namespace Semisup.Data;

/// <summary>A folder's split, as <see cref="Split"/> over its training pool: the labeled images, then the unlabeled ones,
/// in the listing's order. Without a validation folder, a fifth of each class's labeled images (at least one) is
/// drawn by the seed for validation. With a label count, that many of the rest (the same number per class) stay
/// labeled and the others join the unlabeled images, their labels unused. A pure function of the listing and the
/// seed, so a resumed run, or evaluate, draws it again.</summary>
public static class FolderSplit
{
    /// <summary>The share of each class's labeled images drawn for validation when there is no validation folder.</summary>
    public const int ValidationShareDivisor = 5;

    /// <param name="labels">Labeled images per class × classes, or <see cref="Split.AllLabels"/>.</param>
    public static Split Create(ImageFolderSet set, int labels, ulong seed)
    {
        var labeled = set.Labeled ?? throw new SemisupException($"{set.Source}: no labeled images; put them in {ImageListing.LabeledFolder}/<class>/.");
        int classes = set.Classes.Count;
        int unlabeledCount = set.Unlabeled?.Count ?? 0;
        var byClass = Enumerable.Range(0, classes).Select(c => Enumerable.Range(0, labeled.Count).Where(i => labeled.Labels[i] == c).ToArray()).ToArray();
        var order = Permute(labeled.Count, seed);
        int[] Shuffled(int[] members) => [.. members.OrderBy(i => order[i])];
        var validation = new List<int>();
        var rest = new List<int[]>();
        for (int c = 0; c < classes; c++)
        {
            var members = Shuffled(byClass[c]);
            int take = 0;
            if (set.Validation == null)
            {
                if (members.Length < 2)
                    throw new SemisupException($"{set.Source}: class '{set.Classes[c]}' has {members.Length} labeled image{(members.Length == 1 ? "" : "s")}, too few to keep one for validation; add a {ImageListing.ValidationFolder}/ folder, or more labeled images.");
                take = Math.Max(1, members.Length / ValidationShareDivisor);
            }
            validation.AddRange(members[..take]);
            rest.Add(members[take..]);
        }
        int perClass = labels == Split.AllLabels ? int.MaxValue : labels / classes;
        if (labels != Split.AllLabels && (labels < classes || labels % classes != 0))
            throw new SettingException(Setting.Labels, labels.ToString(), $"the labeled set is class-balanced over the {classes} classes: give a multiple of {classes}, or all.");
        int smallest = rest.Min(r => r.Length);
        if (labels != Split.AllLabels && perClass > smallest)
        {
            var which = set.Classes[Array.FindIndex(rest.ToArray(), r => r.Length == smallest)];
            throw new SettingException(Setting.Labels, labels.ToString(), $"{perClass} images per class, but class '{which}' has only {smallest} labeled{(set.Validation == null ? " outside validation" : "")} (at most {smallest * classes} labels).");
        }
        var kept = rest.SelectMany(r => r.Take(perClass)).ToArray();
        var unused = rest.SelectMany(r => r.Skip(perClass));
        var unlabeled = unused.Concat(Enumerable.Range(labeled.Count, unlabeledCount)).ToArray();
        Array.Sort(kept);
        var v = validation.ToArray();
        Array.Sort(v);
        Array.Sort(unlabeled);
        return new(set.Source, labels == Split.AllLabels ? kept.Length : labels, seed, kept, v, unlabeled);
    }

    /// <summary>The rank of each index in <see cref="Split"/>'s seeded shuffle.</summary>
    static int[] Permute(int n, ulong seed)
    {
        var p = Split.Permutation(n, seed);
        var rank = new int[n];
        for (int i = 0; i < n; i++) rank[p[i]] = i;
        return rank;
    }
}
