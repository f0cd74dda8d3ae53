using Semisup.Data;
using Semisup.Export;
using Semisup.Recipes;
using Semisup.Training;

namespace Semisup.Runs;

/// <summary>What an export wrote: the test accuracy its metadata states (null when the data has no test set), the
/// images the model takes and the temperature its probabilities divide the logits by (null: the checkpoint has none).</summary>
public sealed record ExportResult(double? TestAccuracy, OnnxInput Input, double? Temperature = null);

/// <summary>An exported model's score by ONNX Runtime: on its data's test set, the accuracy Semisup measured at export
/// if it says, and the most frequent mistakes by class name.</summary>
public sealed record OnnxScore(Evaluation Evaluation, double? Exported, IReadOnlyList<(string True, string Predicted, int Count)> Mistakes);

/// <summary>What export does: a checkpoint's model written for ONNX Runtime or PyTorch, with its recipe, dataset, class
/// names and test accuracy (measured here by Semisup's own evaluation) as metadata; and the score of such a file by ONNX Runtime.</summary>
public static class Exporting
{
    public static readonly string[] Formats = ["onnx", "safetensors"];

    /// <summary>Writes the file; returns the test accuracy its metadata states and the model's input.</summary>
    public static async Task<ExportResult> ExportAsync(string checkpoint, string format, string output, LocateData locate, Action<string>? warn = null)
    {
        if (!Formats.Contains(format)) throw new SemisupException($"--format {format}: give onnx or safetensors.");
        CheckOutput(checkpoint, output, format);
        var (model, header) = Checkpoint.Load(checkpoint);
        using var _ = model;
        if (Checkpoint.Unverified(checkpoint, header) is { } warning) warn?.Invoke(warning);
        if (format == "safetensors") PyTorchExport.Check(model);
        var recipe = header.Recipe;
        double? accuracy = null;
        using (var test = await TestSetAsync(recipe, locate))
        {
            if (test != null) accuracy = Evaluator.Score(model, test, recipe.Run.EvalBatch).Accuracy;
            else warn?.Invoke($"warning: {recipe.Data.Folder}: no test images ({ImageListing.TestFolder}/<class>/), so the export states no test accuracy.");
        }
        var metadata = Metadata(recipe, accuracy);
        var input = Input(recipe);
        try
        {
            // Beside the target, then renamed: a kill or a full disk leaves the previous export whole.
            SafeFiles.WriteAtomically(output, temp =>
            {
                if (format == "onnx") OnnxExport.Write(model, metadata, temp, input);
                else PyTorchExport.Write(model, metadata, temp);
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SemisupException($"Could not write {output} ({e.Message}); the previous file, if any, is intact.", e);
        }
        return new(accuracy, input, model.Temperature);
    }

    /// <summary>The metadata key of the recipe the model was trained by, as JSON text.</summary>
    public const string RecipeKey = "recipe";

    /// <summary>The dataset a folder run's export names (<see cref="ExportMetadata.Dataset"/>); its recipe names the folder.</summary>
    public const string FolderDataset = "folder";

    /// <summary>What an exported file says of its model: the recipe, the dataset, the class names, the test accuracy if measured.</summary>
    public static Dictionary<string, string> Metadata(Recipe recipe, double? testAccuracy) =>
        ExportMetadata.Create(recipe.Data.Folder != null ? FolderDataset : Datasets.Get(recipe.Data.Dataset).Name, recipe.ClassNames, testAccuracy,
            new Dictionary<string, string> { [RecipeKey] = recipe.ToJson() });

    /// <summary>The images the recipe's model takes, and what they show.</summary>
    public static OnnxInput Input(Recipe recipe)
    {
        var (c, h, w, _) = recipe.Input;
        string? shows = recipe.Data.Folder != null
            ? $"each image resized (shorter side) to {h} and centre-cropped, as Semisup loads a folder's images"
            : recipe.Data.Builtin?.Name switch
            {
                "mnist" => "white digits on black, as in MNIST",
                "fashion-mnist" => "light items on black, as in Fashion-MNIST",
                _ => null,
            };
        return new(c, h, w, shows);
    }

    /// <summary>The recipe's test images: its dataset's test set, or its folder's test/ images at the recipe's shape
    /// (null when the folder has none).</summary>
    static async Task<ImageSet?> TestSetAsync(Recipe recipe, LocateData locate)
    {
        if (recipe.Data.Folder is not { } folder)
        {
            var (ds, files) = await locate.ReadAsync(recipe.Data.Dataset);
            return Scoring.TestSet(files, ds);
        }
        var dir = Path.Combine(folder, ImageListing.TestFolder);
        if (!Directory.Exists(dir)) return null;
        var (c, size, _, _) = recipe.Input;
        var set = ImageFolder.LoadLabeled(dir, recipe.ClassNames, new ImageLoadOptions { Shape = new(c, size) });
        return set.Test is { } test ? ImageSet.From(test) : null;
    }

    /// <summary>Refuses, before the evaluation that precedes writing, an output that is a directory, is the checkpoint
    /// itself, or lies in a directory that does not exist.</summary>
    static void CheckOutput(string checkpoint, string output, string format)
    {
        static string Resolved(string path) =>
            (File.Exists(path) ? new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName : null) ?? Path.GetFullPath(path);
        if (Directory.Exists(output))
            throw new SemisupException($"--out {output}: is a directory; give a file name, such as {Path.Combine(output, $"model.{format}")}.");
        if (Resolved(output) == Resolved(checkpoint))
            throw new SemisupException($"--out {output}: is the checkpoint being exported; give another file name.");
        var parent = Path.GetDirectoryName(Path.GetFullPath(output));
        if (parent != null && !Directory.Exists(parent))
            throw new SemisupException($"--out {output}: the directory {parent} does not exist; create it or give another path.");
    }

    /// <summary>An exported model's test score by ONNX Runtime, on the test set of the data its metadata names.</summary>
    public static async Task<OnnxScore> EvaluateOnnxAsync(string path, string split, LocateData locate)
    {
        if (split != "test") throw new SemisupException($"--onnx with --split {split}: an exported model does not carry its training split; evaluate on test.");
        using var scorer = new OnnxScorer(path);
        using var test = await OnnxTestSetAsync(path, scorer, locate);
        double? exported = scorer.Metadata.TryGetValue(ExportMetadata.TestAccuracy, out var a)
            && double.TryParse(a, System.Globalization.CultureInfo.InvariantCulture, out var at) ? at : null;
        var evaluation = scorer.Evaluate(test, 1000);
        var counts = Confusion.Count(test.Labels.data<long>().ToArray(), evaluation.Predictions, scorer.Classes);
        var names = scorer.ClassNames;
        var mistakes = Confusion.Mistakes(counts).Take(5).Select(m => (names[m.True], names[m.Predicted], m.Count)).ToList();
        return new(evaluation, exported, mistakes);
    }

    /// <summary>The test set of the exported model's data: a folder run's test/ images (its recipe in the metadata names
    /// the folder), or the dataset's (MNIST for an export that names none).</summary>
    static async Task<ImageSet> OnnxTestSetAsync(string path, OnnxScorer scorer, LocateData locate)
    {
        var dataset = scorer.Metadata.GetValueOrDefault(ExportMetadata.Dataset, Datasets.Mnist.Name);
        if (dataset != FolderDataset)
        {
            var (ds, files) = await locate.ReadAsync(dataset);
            return Scoring.TestSet(files, ds);
        }
        if (!scorer.Metadata.TryGetValue(RecipeKey, out var json))
            throw new SemisupException($"{path}: its metadata names no recipe, so not the folder it was trained on; export it again with `semisup export`.");
        var recipe = RecipeFile.Parse(json, $"{path} (metadata '{RecipeKey}')");
        return await TestSetAsync(recipe, locate)
            ?? throw new SemisupException($"{path}: it was trained on {recipe.Data.Folder}, which has no test images ({ImageListing.TestFolder}/<class>/) to score it on.");
    }
}
