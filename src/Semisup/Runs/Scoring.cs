using Semisup.Data;
using Semisup.Models;
using Semisup.Recipes;
using Semisup.Training;

namespace Semisup.Runs;

/// <summary>What evaluate prints: each checkpoint's score, the ensemble's, and its most frequent mistakes; with
/// test-time shifts, each score again with the probabilities averaged over the image and its four one-pixel shifts.</summary>
/// <param name="Split">What was scored: validation, test, or the labeled folder given.</param>
public sealed record ScoreReport(string Split, IReadOnlyList<(string Path, Recipe Recipe, int Epoch, Evaluation Evaluation, Evaluation? Shifted)> Members,
    Evaluation? Ensemble, Evaluation? ShiftedEnsemble, IReadOnlyList<(string True, string Predicted, int Count)> Mistakes);

/// <summary>What evaluate does: scores checkpoints (and their ensemble) on the test set or on the validation images
/// they were selected on, of the built-in dataset or the folder they trained on; or on a folder of labeled images.</summary>
public static class Scoring
{
    public static readonly string[] Splits = ["validation", "test"];

    /// <param name="data">A folder of labeled images (<c>&lt;class&gt;/*</c>, or a data set folder's test/) or a CSV
    /// of path,label to score on instead of <paramref name="split"/>.</param>
    /// <param name="images">How a folder's images load; their shape is the checkpoints'.</param>
    /// <param name="raw">Score without the checkpoints' temperatures.</param>
    public static async Task<ScoreReport> EvaluateAsync(IReadOnlyList<string> checkpoints, string split, LocateData locate, bool shifts = false,
        Action<string>? warn = null, string? data = null, ImageLoadOptions? images = null, CancellationToken cancel = default, bool raw = false)
    {
        if (!Splits.Contains(split)) throw new SemisupException($"--split {split}: give validation or test.");
        using var ensemble = new Ensemble(checkpoints, warn, raw);
        var options = (images ?? new()) with { Shape = ensemble.Shape };
        if (data != null) data = LabeledFolder(data, ensemble.Classes);
        using var set = data != null ? Loaded(ImageFolder.LoadLabeled(data, ensemble.Classes, options, warn, cancel), warn)
            : ensemble.Recipe.Data.Folder != null ? FolderSet(split, ensemble, options, warn, cancel)
            : await BuiltinSet(split, ensemble, locate);
        var labels = set.Labels.data<long>().ToArray();
        var evaluations = ensemble.Members.Select(m => Evaluator.Evaluate(m.Model, set, m.Header.Recipe.Run.EvalBatch)).ToList();
        var averaged = evaluations.Count > 1 ? Evaluator.Ensemble(evaluations, labels) : null;
        var shifted = shifts ? ensemble.Members.Select(m => Evaluator.Evaluate(m.Model, set, m.Header.Recipe.Run.EvalBatch, shifted: true)).ToList() : null;
        var shiftedEnsemble = shifted is { Count: > 1 } ? Evaluator.Ensemble(shifted, labels) : null;
        var classes = ensemble.Classes;
        var counts = Confusion.Count(labels, (averaged ?? evaluations[0]).Predictions, classes.Count);
        var mistakes = Confusion.Mistakes(counts).Take(5).Select(m => (classes[m.True], classes[m.Predicted], m.Count)).ToList();
        return new(data ?? split, [.. ensemble.Members.Select((m, i) => (m.Path, m.Header.Recipe, m.Header.State.Epoch, evaluations[i], shifted?[i]))], averaged, shiftedEnsemble, mistakes);
    }

    public static ImageSet TestSet(DatasetFiles files, DatasetInfo ds) => ImageSet.From(files.TestImages, files.TestLabels, $"{ds.Name} test");

    static async Task<ImageSet> BuiltinSet(string split, Ensemble ensemble, LocateData locate)
    {
        SameData(ensemble);
        var (ds, files) = await locate.ReadAsync(ensemble.Recipe.Data.Dataset);
        if (split == "test") return TestSet(files, ds);
        var validation = SharedValidation(ensemble, r => Split.Create(ds.Name, files.TrainLabels.Data, r.Data.Labels, r.Data.Seed, r.Data.Split).Validation);
        using var train = ImageSet.From(files.TrainImages, files.TrainLabels, $"{ds.Name} train");
        return train.Subset(validation);
    }

    /// <summary>The validation images the checkpoints were selected on. The split is a pure function of the data, the
    /// label count, the seed (and for a dataset, the scheme), so each checkpoint's recipe recreates it; an ensemble must
    /// share it, or one member's validation images would be another's training images.</summary>
    static int[] SharedValidation(Ensemble ensemble, Func<Recipe, int[]> validationOf)
    {
        var (first, _, header) = ensemble.Members[0];
        var validation = validationOf(header.Recipe);
        if (ensemble.Members.Skip(1).FirstOrDefault(m => !validationOf(m.Header.Recipe).SequenceEqual(validation)) is { Path: not null } other)
            throw new SemisupException($"--split validation: {other.Path} and {first} were trained on different splits, so one's validation images are the other's training images. Evaluate the ensemble on test, or ensemble runs that share a split (the same seed, or \"split\": \"lab\", which is the same for every seed).");
        return validation;
    }

    /// <summary>Without --data, the members are scored on the data they trained on, which must then be one.</summary>
    static void SameData(Ensemble ensemble)
    {
        static string Of(Recipe r) => r.Data.Folder ?? r.Data.Dataset.ToLowerInvariant();
        var (first, _, header) = ensemble.Members[0];
        if (ensemble.Members.FirstOrDefault(m => Of(m.Header.Recipe) != Of(header.Recipe)) is { Path: not null } other)
            throw new SemisupException($"{other.Path} was trained on {Of(other.Header.Recipe)}, {first} on {Of(header.Recipe)}: give --data with labeled images of their classes to score the ensemble on.");
    }

    /// <summary>The folder of labeled images to score on: <paramref name="data"/> itself (class folders, or a CSV), or
    /// the test/ part of a data set folder, unless the model has a class of that name.</summary>
    static string LabeledFolder(string data, IReadOnlyList<string> classes)
    {
        var test = Path.Combine(data, ImageListing.TestFolder);
        if (Directory.Exists(test) && !classes.Contains(ImageListing.TestFolder)) return test;
        if (Directory.Exists(Path.Combine(data, ImageListing.LabeledFolder)) && !classes.Contains(ImageListing.LabeledFolder))
            throw new SemisupException($"{data}: a data set folder without {ImageListing.TestFolder}/; give a folder of <class>/ folders of labeled images the model did not train on.");
        return data;
    }

    static ImageSet Loaded(ImageFolderSet set, Action<string>? warn)
    {
        foreach (var w in set.Warnings) warn?.Invoke($"warning: {w}");
        return ImageSet.From(set.Test ?? throw new SemisupException($"{set.Source}: no labeled images to score on."));
    }

    /// <summary>The test or validation images of the folder (or CSV) the checkpoints trained on, as it is now: test from
    /// its test/ part, validation from its validation/ part or drawn again from its labeled images by each recipe's seed.</summary>
    static ImageSet FolderSet(string split, Ensemble ensemble, ImageLoadOptions options, Action<string>? warn, CancellationToken cancel)
    {
        SameData(ensemble);
        var (first, recipe) = (ensemble.Members[0].Path, ensemble.Recipe);
        var folder = recipe.Data.Folder!;
        if (!Directory.Exists(folder) && !File.Exists(folder))
            throw new SemisupException($"{folder}: the folder {first} was trained on is gone; give --data with labeled images of its classes to score on.");
        if (split == "test" && Directory.Exists(folder))
        {
            var test = Path.Combine(folder, ImageListing.TestFolder);
            if (!Directory.Exists(test))
                throw new SemisupException($"{folder}: no {ImageListing.TestFolder}/ folder to score on; give --data with labeled images of the model's classes, or --split validation.");
            return Loaded(ImageFolder.LoadLabeled(test, ensemble.Classes, options, warn, cancel), warn);
        }
        var set = ImageFolder.Load(folder, options, warn, cancel);
        if (!set.Classes.SequenceEqual(ensemble.Classes))
            throw new SemisupException($"{folder}: its classes are now {string.Join(", ", set.Classes)}, but {first} was trained on {string.Join(", ", ensemble.Classes)}; restore the folder, or give --data with labeled images of the model's classes.");
        foreach (var w in set.Warnings) warn?.Invoke($"warning: {w}");
        if (split == "test")
            return ImageSet.From(set.Test ?? throw new SemisupException($"{folder}: no test images to score on; give --data with labeled images of the model's classes, or --split validation."));
        if (set.Validation is { } own) return ImageSet.From(own);
        var validation = SharedValidation(ensemble, r => FolderSplit.Create(set, r.Data.Labels, r.Data.Seed).Validation);
        using var labeled = ImageSet.From(set.Labeled!);
        return labeled.Subset(validation);
    }
}
