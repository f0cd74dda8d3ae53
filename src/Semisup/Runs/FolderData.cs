using Semisup.Data;
using Semisup.Recipes;
using Semisup.Training;

namespace Semisup.Runs;

/// <summary>A run on a folder of images (data.folder): its classes and shape settled when it starts, its sets read
/// (through the decode cache) and split when it trains, and checked against what it recorded when it resumes.</summary>
public static class FolderData
{
    /// <summary>The recipe a new run on a folder trains: the folder's class names, and the shape its images load at
    /// where the recipe leaves it open (<see cref="ImageDecoder.NaturalShape"/>). Nothing is decoded.</summary>
    public static Recipe Resolve(Recipe r)
    {
        if (r.Data.Folder is not { } folder) return r;
        var listing = ImageListing.Scan(folder);
        ImageFolder.RequireNoErrors(listing);
        if (r.Data.Classes is { } recorded && !recorded.SequenceEqual(listing.Classes))
            throw ClassesChanged(folder, recorded, listing.Classes);
        var natural = r.Data.Channels is null || r.Data.Size is null
            ? ImageDecoder.NaturalShape(listing.Entries.Where(e => e.Part == ImagePart.Labeled).Select(e => e.FullPath).Take(2000))
            : null;
        return r with
        {
            Data = r.Data with
            {
                Dataset = "folder",
                Folder = Path.GetFullPath(folder),
                Classes = [.. listing.Classes],
                Channels = r.Data.Channels ?? natural!.Channels,
                Size = r.Data.Size ?? natural!.Size,
            },
        };
    }

    /// <summary>Whether the folder (or CSV) holds test images, found by listing it: nothing is decoded.</summary>
    public static bool HasTest(string folder) => ImageListing.Scan(folder).Parts.Contains(ImagePart.Test);

    static SemisupException ClassesChanged(string folder, IReadOnlyList<string> recorded, IReadOnlyList<string> now) =>
        new($"{folder}: its classes are now {string.Join(", ", now)}, but the run recorded {string.Join(", ", recorded)}; " +
            "a run continues on the data it started with: restore the folder, or train a new run.");

    /// <summary>The recipe's folder, decoded at its shape (or read from the cache).</summary>
    public static ImageFolderSet Read(Recipe r, ImageLoadOptions options, Action<string>? log = null, CancellationToken cancel = default)
    {
        var folder = r.Data.Folder ?? throw new ArgumentException("not a folder recipe", nameof(r));
        var set = ImageFolder.Load(folder, options with { Shape = new(r.Input.Channels, r.Input.Height) }, log, cancel);
        if (r.Data.Classes is { } recorded && !recorded.SequenceEqual(set.Classes)) throw ClassesChanged(folder, recorded, set.Classes);
        foreach (var w in set.Warnings) log?.Invoke($"warning: {w}");
        if (set.Skipped.Count > 0)
            log?.Invoke($"skipped {set.Skipped.Count:N0} unreadable file{(set.Skipped.Count == 1 ? "" : "s")}: {string.Join("; ", set.Skipped.Take(10).Select(s => s.Problem))}{(set.Skipped.Count > 10 ? "; …" : "")}");
        return set;
    }

    /// <summary>The run's sets from its folder, by the run's split (drawn and saved for a new run, read for a resumed
    /// one), after checking the batches fit the counts.</summary>
    public static (RunData Data, Split Split) Load(Recipe r, RunDirectory dir, bool resuming, ImageLoadOptions options, Action<string> note, CancellationToken cancel)
    {
        var set = Read(r, options, note, cancel);
        int pool = (set.Labeled?.Count ?? 0) + (set.Unlabeled?.Count ?? 0);
        Split split;
        if (resuming)
        {
            split = dir.ReadSplit(pool);
            if (split.Labeled.Length + split.Unlabeled.Length + split.Validation.Length != pool)
                throw new SemisupException($"{r.Data.Folder}: it holds {pool:N0} labeled and unlabeled images, but the run's split covers {split.Labeled.Length + split.Unlabeled.Length + split.Validation.Length:N0}; " +
                    "a run continues on the data it started with: restore the folder, or train a new run.");
        }
        else split = FolderSplit.Create(set, r.Data.Labels, r.Data.Seed);
        CheckCounts(r, split, set);
        if (!resuming)
        {
            dir.WriteRecipe(r);
            dir.WriteSplit(split);
        }
        return (RunData.From(set, split), split);
    }

    static void CheckCounts(Recipe r, Split split, ImageFolderSet set)
    {
        int labeled = split.Labeled.Length, unlabeled = split.Unlabeled.Length;
        if (r.Run.LabeledBatch > labeled)
            throw new SettingException(Setting.RecipeKey, $"run.labeledBatch={r.Run.LabeledBatch}", $"the batch is larger than the {labeled:N0} labeled images left for training; give at most {labeled:N0}.");
        if (r.Method.UsesUnlabeled && unlabeled == 0)
            throw new SemisupException($"{set.Source}: no unlabeled images for the {r.MethodKind} method; put them in {ImageListing.UnlabeledFolder}/, take fewer labels, or train the supervised recipe images-supervised.");
        if (r.Method.UsesUnlabeled && r.Run.UnlabeledBatch > unlabeled)
            throw new SettingException(Setting.RecipeKey, $"run.unlabeledBatch={r.Run.UnlabeledBatch}", $"the batch is larger than the {unlabeled:N0} unlabeled images; give at most {unlabeled:N0}.");
    }
}
