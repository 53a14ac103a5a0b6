namespace InSitu.Interpretation;

/// <summary>How an attribution map is computed: |d o_c / d x|, guided backpropagation, or Grad-CAM on the feature layer.</summary>
public enum AttributionMethod { Saliency, Guided, GradCam }
