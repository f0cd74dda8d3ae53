using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Semisup.Data;
using Semisup.Export;
using Semisup.Models;
using Semisup.Tests.Data;
using Semisup.Training;
using SkiaSharp;
using static TorchSharp.torch;

namespace Semisup.Tests.Export;

/// <summary>An export carries its class names and input shape, ONNX Runtime reads them back, and a folder run's
/// export is scored on the folder's test images.</summary>
public class ExportMetadataTests
{
    static readonly string[] Animals = ["cat", "dog", "owl"];

    /// <summary>A folder run's recipe, as <c>train --data</c> records it once resolved (dataset "folder"), or with the
    /// dataset left at its default.</summary>
    static Recipe FolderRecipe(string folder = "/x", string dataset = "folder", int size = 32, string[]? classes = null) => new()
    {
        Data = new DataSettings(Dataset: dataset, Labels: 3, Folder: folder, Classes: classes ?? Animals, Channels: 3, Size: size),
        Model = new AirbenchConfig(Width: 4),
    };

    /// <summary>The recipe's network, from the factory, saved as a checkpoint.</summary>
    static string SaveCheckpoint(Recipe recipe, string path)
    {
        manual_seed(48);
        using var model = Factory.Model(recipe);
        Checkpoint.Save(path, model, recipe, new TrainingState(1, 1, 0.5, 1), null);
        return path;
    }

    static readonly LocateData NoDataset = ds => throw new InvalidOperationException($"a folder run's export looked for the dataset {ds.Name}");

    [Theory]
    [InlineData("folder")]
    [InlineData("mnist")]
    public async Task Onnx_runtime_reads_a_folder_runs_class_names_and_input_shape(string dataset)
    {
        using var dir = new TempDir();
        var checkpoint = SaveCheckpoint(FolderRecipe(dataset: dataset), dir["best.ckpt"]);
        var warnings = new List<string>();
        var result = await Exporting.ExportAsync(checkpoint, "onnx", dir["m.onnx"], NoDataset, warnings.Add);

        Assert.Null(result.TestAccuracy);
        Assert.Equal("warning: /x: no test images (test/<class>/), so the export states no test accuracy.", Assert.Single(warnings));
        using (var session = new InferenceSession(dir["m.onnx"]))
        {
            var map = session.ModelMetadata.CustomMetadataMap;
            Assert.Equal("[\"cat\",\"dog\",\"owl\"]", map[ExportMetadata.Classes]);
            Assert.Equal("[\"N\",3,32,32]", map[ExportMetadata.InputShape]);
            Assert.Equal("folder", map[ExportMetadata.Dataset]);
            Assert.False(map.ContainsKey(ExportMetadata.TestAccuracy));
            Assert.Equal("/x", JsonDocument.Parse(map[Exporting.RecipeKey]).RootElement.GetProperty("data").GetProperty("folder").GetString());
            Assert.Equal(new[] { -1, 3, 32, 32 }, session.InputMetadata[OnnxExport.Input].Dimensions);
            Assert.Equal(new[] { -1, 3 }, session.OutputMetadata[OnnxExport.Logits].Dimensions);
            var description = map[ExportMetadata.InputDescription];
            Assert.StartsWith("RGB pixels in [0, 1], 3×32×32 (C×H×W); each image resized (shorter side) to 32 and centre-cropped", description);
            Assert.DoesNotContain("MNIST", description);
        }
        using var scorer = new OnnxScorer(dir["m.onnx"]);
        Assert.Equal(Animals, scorer.ClassNames);
        Assert.Equal((3, 32, 32), scorer.Input);
    }

    [Fact]
    public void The_input_description_says_what_each_datasets_pixels_are()
    {
        Assert.Equal("gray pixels in [0, 1], 1×28×28 (C×H×W); white digits on black, as in MNIST", Exporting.Input(new Recipe()).Description);
        Assert.Equal("gray pixels in [0, 1], 1×28×28 (C×H×W); light items on black, as in Fashion-MNIST",
            Exporting.Input(new Recipe { Data = new(Dataset: "fashion-mnist") }).Description);
        var gray = FolderRecipe(size: 48) with { Data = FolderRecipe(size: 48).Data with { Channels = 1 } };
        Assert.StartsWith("gray pixels in [0, 1], 1×48×48 (C×H×W); each image resized (shorter side) to 48", Exporting.Input(gray).Description);
        Assert.Equal("[N,1,48,48]", Exporting.Input(gray).Shape);
    }

    /// <summary>Three solid colours, one a class, with a little noise: a random network still tells some apart.</summary>
    static void WriteFolder(string root, int perClass)
    {
        var colours = new[] { SKColors.Red, SKColors.Green, SKColors.Blue };
        var random = new Random(48);
        foreach (var part in new[] { "labeled", "test" })
            for (int k = 0; k < Animals.Length; k++)
                for (int i = 0; i < perClass; i++)
                    ImageFiles.Write(Path.Combine(root, part, Animals[k], $"{i}.png"), 16, 16,
                        (_, _) => new SKColor((byte)(colours[k].Red / 2 + random.Next(128)), (byte)(colours[k].Green / 2 + random.Next(128)), (byte)(colours[k].Blue / 2 + random.Next(128))));
    }

    [Fact]
    public async Task A_folder_runs_export_is_scored_on_its_test_images_and_names_its_mistakes()
    {
        using var dir = new TempDir();
        WriteFolder(dir["photos"], perClass: 4);
        var recipe = FolderRecipe(folder: dir["photos"], size: 16);
        var checkpoint = SaveCheckpoint(recipe, dir["best.ckpt"]);
        var result = await Exporting.ExportAsync(checkpoint, "onnx", dir["m.onnx"], NoDataset, w => Assert.Fail(w));
        Assert.Equal("[N,3,16,16]", result.Input.Shape);

        // Semisup's own evaluation of the checkpoint on the same test images is the oracle.
        var (model, _) = Checkpoint.Load(checkpoint);
        using var _ = model;
        var set = ImageFolder.LoadLabeled(dir["photos/test"], Animals, new ImageLoadOptions { Shape = new(3, 16), CacheDir = null });
        using var test = ImageSet.From(set.Test!);
        var semisup = Evaluator.Evaluate(model, test, 100);
        Assert.Equal(semisup.Accuracy, result.TestAccuracy!.Value, 1e-12);
        var labels = test.Labels.data<long>().ToArray();
        var expected = Confusion.Mistakes(Confusion.Count(labels, semisup.Predictions, 3)).Take(5).Select(m => (Animals[m.True], Animals[m.Predicted], m.Count)).ToList();
        Assert.NotEmpty(expected); // an untrained network: the mistakes' names are tested

        var onnx = await Exporting.EvaluateOnnxAsync(dir["m.onnx"], "test", NoDataset);
        Assert.Equal(12, onnx.Evaluation.Count);
        Assert.Equal(semisup.Accuracy, onnx.Evaluation.Accuracy);
        Assert.Equal(result.TestAccuracy!.Value, onnx.Exported!.Value, 1e-4);
        Assert.Equal(expected, onnx.Mistakes);
    }

    [Fact]
    public async Task Evaluating_a_folder_export_whose_folder_has_no_test_images_says_so()
    {
        using var dir = new TempDir();
        var checkpoint = SaveCheckpoint(FolderRecipe(folder: dir["gone"]), dir["best.ckpt"]);
        await Exporting.ExportAsync(checkpoint, "onnx", dir["m.onnx"], NoDataset);
        var e = await Assert.ThrowsAsync<SemisupException>(() => Exporting.EvaluateOnnxAsync(dir["m.onnx"], "test", NoDataset));
        Assert.Equal($"{dir["m.onnx"]}: it was trained on {dir["gone"]}, which has no test images (test/<class>/) to score it on.", e.Message);
    }

    [Fact]
    public void Safetensors_metadata_round_trips_the_class_names()
    {
        using var dir = new TempDir();
        string[] names = ["cat", "chouette \"hulotte\"", "éléphant", "犬"];
        var recipe = FolderRecipe(classes: names) with { Model = new ConvNetConfig() };
        using var net = (ConvNet)Factory.Model(recipe);
        PyTorchExport.Write(net, Exporting.Metadata(recipe, 0.5), dir["m.safetensors"]);
        var (tensors, metadata) = Safetensors.Read(dir["m.safetensors"]);
        foreach (var t in tensors.Values) t.Dispose();
        Assert.Equal(names, ExportMetadata.ClassNames(metadata, dir["m.safetensors"]));
        Assert.Equal("folder", metadata[ExportMetadata.Dataset]);
        Assert.Equal("0.5", metadata[ExportMetadata.TestAccuracy]);
        // Written as the names are, not as \u escapes: a person reading the header sees them.
        Assert.Contains("éléphant", Encoding.UTF8.GetString(File.ReadAllBytes(dir["m.safetensors"])));
    }

    [Fact]
    public void Class_names_that_do_not_fit_the_model_are_refused_naming_the_file_and_key()
    {
        using var dir = new TempDir();
        using var net = new AirbenchNet(new AirbenchConfig(Width: 4, Classes: 3));
        var wrongCount = ExportMetadata.Create("folder", ["a", "b"], null);
        OnnxExport.Write(net, wrongCount, dir["count.onnx"]);
        Assert.Equal($"{dir["count.onnx"]}: its metadata 'classes' names 2 classes, but the model has 3 outputs; export it again with `semisup export`.",
            Assert.Throws<SemisupException>(() => new OnnxScorer(dir["count.onnx"])).Message);
        var malformed = new Dictionary<string, string>(wrongCount) { [ExportMetadata.Classes] = "cat,dog,owl" };
        OnnxExport.Write(net, malformed, dir["bad.onnx"]);
        Assert.Equal($"{dir["bad.onnx"]}: its metadata 'classes' is not a JSON array of class names (cat,dog,owl); export it again with `semisup export`.",
            Assert.Throws<SemisupException>(() => new OnnxScorer(dir["bad.onnx"])).Message);
    }

    [Fact]
    public void An_export_from_before_class_names_gets_its_datasets_names_or_numbers()
    {
        using var dir = new TempDir();
        using var digits = new ConvNet(new());
        var old = ExportMetadata.Create("fashion-mnist", [], null);
        old.Remove(ExportMetadata.Classes);
        OnnxExport.Write(digits, old, dir["fashion.onnx"]);
        using (var scorer = new OnnxScorer(dir["fashion.onnx"])) Assert.Equal(ClassNames.Of(Datasets.FashionMnist), scorer.ClassNames);
        using var three = new AirbenchNet(new AirbenchConfig(Width: 4, Classes: 3));
        OnnxExport.Write(three, old, dir["three.onnx"]);
        using (var scorer = new OnnxScorer(dir["three.onnx"])) Assert.Equal(["0", "1", "2"], scorer.ClassNames);
    }
}
