using Semisup.Data;
using Semisup.Export;
using Semisup.Recipes;
using Semisup.Training;

namespace Semisup.Runs;

/// <summary>What export does: a checkpoint's model written for ONNX Runtime or PyTorch, with its recipe, dataset and
/// test accuracy (measured here by Semisup's own evaluation) as metadata; and the score of such a file by ONNX Runtime.</summary>
public static class Exporting
{
    public static readonly string[] Formats = ["onnx", "safetensors"];

    /// <summary>Writes the file; returns the test accuracy its metadata states.</summary>
    public static async Task<double> ExportAsync(string checkpoint, string format, string output, LocateData locate, Action<string>? warn = null)
    {
        if (!Formats.Contains(format)) throw new SemisupException($"--format {format}: give onnx or safetensors.");
        CheckOutput(checkpoint, output, format);
        var (model, header) = Checkpoint.Load(checkpoint);
        using var _ = model;
        if (Checkpoint.Unverified(checkpoint, header) is { } warning) warn?.Invoke(warning);
        if (format == "safetensors") PyTorchExport.Check(model);
        var (ds, files) = await locate.ReadAsync(header.Recipe.Data.Dataset);
        using var test = Scoring.TestSet(files, ds);
        double accuracy = Evaluator.Score(model, test, header.Recipe.Run.EvalBatch).Accuracy;
        var metadata = Metadata(header.Recipe, accuracy);
        try
        {
            // Beside the target, then renamed: a kill or a full disk leaves the previous export whole.
            SafeFiles.WriteAtomically(output, temp =>
            {
                if (format == "onnx") OnnxExport.Write(model, metadata, temp);
                else PyTorchExport.Write(model, metadata, temp);
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SemisupException($"Could not write {output} ({e.Message}); the previous file, if any, is intact.", e);
        }
        return accuracy;
    }

    /// <summary>The metadata key of the recipe the model was trained by, as JSON text.</summary>
    public const string RecipeKey = "recipe";

    /// <summary>What an exported file says of its model: the recipe, the dataset, the test accuracy if measured.</summary>
    public static Dictionary<string, string> Metadata(Recipe recipe, double? testAccuracy) =>
        ExportMetadata.Create(Datasets.Get(recipe.Data.Dataset).Name, testAccuracy, new Dictionary<string, string> { [RecipeKey] = recipe.ToJson() });

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

    /// <summary>An exported model's test score by ONNX Runtime, and the accuracy Semisup measured at export if it says.</summary>
    public static async Task<(Evaluation Evaluation, double? Exported)> EvaluateOnnxAsync(string path, string split, LocateData locate)
    {
        if (split != "test") throw new SemisupException($"--onnx with --split {split}: an exported model does not carry its training split; evaluate on test.");
        using var scorer = new OnnxScorer(path);
        var (ds, files) = await locate.ReadAsync(scorer.Metadata.GetValueOrDefault(ExportMetadata.Dataset, Datasets.Mnist.Name));
        using var test = Scoring.TestSet(files, ds);
        double? exported = scorer.Metadata.TryGetValue(ExportMetadata.TestAccuracy, out var a)
            && double.TryParse(a, System.Globalization.CultureInfo.InvariantCulture, out var at) ? at : null;
        return (scorer.Evaluate(test, 1000), exported);
    }
}
