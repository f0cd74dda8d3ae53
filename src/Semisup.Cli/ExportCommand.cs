using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Semisup.Data;
using Semisup.Export;
using Semisup.Training;

namespace Semisup.Cli;

/// <summary><c>semisup export</c>, and <c>evaluate --onnx</c>'s scoring of what it wrote.</summary>
static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "The checkpoint to export (best.ckpt of a run, or one under models/).", Required = true };
        var format = new Option<string>("--format", "-f")
        {
            Description = $"onnx: the evaluation graph (opset {OnnxExport.Opset}), for ONNX Runtime; safetensors: the conv net's weights for PyTorch (python/semisup_models.py).",
            DefaultValueFactory = _ => "onnx",
        };
        var output = new Option<string>("--out", "-o") { Description = "The file to write.", Required = true };
        var cmd = new Command("export", "Write a checkpoint's model for use outside Semisup, with its recipe, dataset and test accuracy as metadata.") { checkpoint, format, output, DataCommands.DataDir };
        cmd.SetAction(async (parse, cancel) =>
        {
            var (kind, path) = (parse.GetValue(format), parse.GetValue(output)!);
            if (kind is not ("onnx" or "safetensors")) throw new SemisupException($"--format {kind}: give onnx or safetensors.");
            var (model, header) = Checkpoint.Load(parse.GetValue(checkpoint)!);
            using var _ = model;
            if (kind == "safetensors") PyTorchExport.Check(model);
            // Measured here by Semisup's own evaluation, so the metadata states what this file's weights score.
            using var test = await TestSet(header.Recipe.Dataset, parse.GetValue(DataCommands.DataDir), cancel);
            double accuracy = Evaluator.Score(model, test, header.Recipe.EvalBatch).Accuracy;
            var metadata = ExportMetadata.Create(header.Recipe.ToJson(), header.Recipe.Dataset, accuracy);
            if (kind == "onnx") OnnxExport.Write(model, metadata, path);
            else PyTorchExport.Write(model, metadata, path);
            string what = kind == "onnx"
                ? $"ONNX opset {OnnxExport.Opset}, input '{OnnxExport.Input}' float32 [N,1,28,28] in [0,1], outputs '{OnnxExport.Logits}' and '{OnnxExport.Probabilities}' [N,{model.Classes}]; check it with: semisup evaluate --onnx {path}"
                : "weights of SemisupConvNet in python/semisup_models.py, loaded by its load_conv_net(path)";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{path}: test accuracy {100 * accuracy:F2}% (Semisup's evaluation); {what}"));
            return 0;
        });
        return cmd;
    }

    public static readonly Option<string?> Onnx = new("--onnx")
    {
        Description = "Score a model written by `semisup export` with ONNX Runtime instead of checkpoints (test split).",
    };

    /// <summary>evaluate's check that it has something to evaluate: checkpoints or --onnx, not both.</summary>
    public static Action<CommandResult> CheckpointsOrOnnx(Option<string[]> checkpoints) => result =>
    {
        bool hasCheckpoints = result.GetValue(checkpoints) is { Length: > 0 }, hasOnnx = result.GetValue(Onnx) != null;
        if (hasCheckpoints == hasOnnx) result.AddError("give --checkpoint (one or more) or --onnx.");
    };

    /// <summary><c>evaluate --onnx</c>: the exported model's accuracy on its dataset's test set, by ONNX Runtime.</summary>
    public static async Task<int> EvaluateOnnxAsync(string path, string split, string? dataDir, CancellationToken cancel)
    {
        if (split != "test") throw new SemisupException($"--onnx with --split {split}: an exported model does not carry its training split; evaluate on test.");
        using var scorer = new OnnxScorer(path);
        var dataset = scorer.Metadata.GetValueOrDefault(ExportMetadata.Dataset, Datasets.Mnist.Name);
        using var test = await TestSet(dataset, dataDir, cancel);
        var e = scorer.Evaluate(test, 1000);
        string exported = scorer.Metadata.TryGetValue(ExportMetadata.TestAccuracy, out var a)
            && double.TryParse(a, CultureInfo.InvariantCulture, out var at) ? $"; Semisup measured {100 * at:F2}% at export" : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{path}: test accuracy {100 * e.Accuracy:F2}% ({Math.Round((1 - e.Accuracy) * e.Count)} of {e.Count} wrong), loss {e.Loss:F4}  [ONNX Runtime{exported}]"));
        return 0;
    }

    static async Task<ImageSet> TestSet(string dataset, string? dataDir, CancellationToken cancel)
    {
        var ds = Datasets.Get(dataset);
        var store = new DatasetStore(DataOptions.FromEnvironment(dataDir));
        var files = DatasetFiles.Read(await ConsoleProgress.FetchAsync(p => store.LocateAsync(ds, p, Console.Error.WriteLine, cancel)), ds);
        return ImageSet.From(files.TestImages, files.TestLabels, $"{ds.Name} test");
    }
}
